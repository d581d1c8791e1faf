// `sock-sendfile http DIR`, run as a user runs it: prints its URL, serves, stops cleanly on
// SIGTERM/SIGINT (exit 0), and with --workers N serves from N processes (node:cluster).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { makeRoot, request, within } from './helpers.js';

const bin = new URL('../../bin/sock-sendfile.js', import.meta.url).pathname;
const { root, data } = makeRoot({ 'a.bin': 100_000, 'index.html': '<p>home</p>' });

async function start(args) {
  const child = spawn(process.execPath, [bin, 'http', root, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((r) => child.on('close', (code, signal) => r({ code, signal })));
  const url = await within(20_000, new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = /(http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('close', () => reject(new Error(`exited before listening: ${err}`)));
  }), 'the server to print its URL');
  return { child, url, exited, out: () => out, err: () => err };
}

test('http DIR: prints its URL, serves files and the index, exits 0 on SIGTERM', async () => {
  const s = await start(['--port', '0']);
  assert.match(s.out(), /^serving .* at http:\/\/127\.0\.0\.1:\d+\/\n$/);
  const r = await request(`${s.url}a.bin`);
  assert.ok(r.body.equals(data['a.bin']));
  assert.is((await request(s.url)).body.toString(), '<p>home</p>');
  s.child.kill('SIGTERM');
  const e = await within(10_000, s.exited, 'exit after SIGTERM');
  assert.is(e.code, 0, s.err());
});

test('http DIR --workers 2: served from the workers, SIGINT stops them all with exit 0', async () => {
  const s = await start(['--workers', '2']);
  assert.match(s.out(), /with 2 workers/);
  for (let i = 0; i < 4; i++) assert.ok((await request(`${s.url}a.bin`)).body.equals(data['a.bin']));
  s.child.kill('SIGINT');
  const e = await within(15_000, s.exited, 'exit after SIGINT');
  assert.is(e.code, 0, s.err());
});

test('usage errors exit 2', async () => {
  for (const args of [[], ['--workers', '0'], ['--port', '99999']]) {
    const child = spawn(process.execPath, [bin, 'http', ...(args.length ? [root, ...args] : [])], { stdio: 'ignore' });
    const code = await within(20_000, new Promise((r) => child.on('close', r)));
    assert.is(code, 2, args.join(' '));
  }
});

test.run();
