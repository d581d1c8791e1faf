// A sendfile that refuses after the headers went: the body finishes through the buffered path,
// byte for byte, with the headers Node wrote. The refusal is real: the server runs with the
// addon variant whose every sendfile(2) fails with ENOSYS (SOCK_SENDFILE_NATIVE=none).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { makeRoot, sha } from './helpers.js';

const CI = process.env.CI === 'true';
const noneAddon = fileURLToPath(new URL(`../../dist/native/${process.platform}-${process.arch}/sock_sendfile_none.node`, import.meta.url));
const { root, data } = makeRoot({ 'big.bin': 1 << 20 });

function startChild() {
  const child = spawn(process.execPath, [fileURLToPath(new URL('fixtures/refusing-server.js', import.meta.url)), root, 'big.bin'],
    { env: { ...process.env, SOCK_SENDFILE_NATIVE: 'none' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = [];
  const waiters = [];
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d;
    for (let i; (i = buf.indexOf('\n')) >= 0; buf = buf.slice(i + 1)) lines.push(buf.slice(0, i));
    for (const w of waiters.splice(0)) w();
  });
  const line = async (prefix) => {
    for (;;) {
      const l = lines.find((x) => x.startsWith(`${prefix} `));
      if (l) return l.slice(prefix.length + 1);
      if (child.exitCode !== null) throw new Error(`child exited ${child.exitCode} before '${prefix}'`);
      await new Promise((r) => { waiters.push(r); setTimeout(r, 200); });
    }
  };
  return { child, line };
}

test('sendfile refused after the headers: the buffered path sends the whole body, the response is complete', async () => {
  if (process.platform !== 'linux' || !existsSync(noneAddon)) {
    const why = `no ENOSYS addon variant at ${noneAddon} (native/build.sh builds it on Linux)`;
    console.log(`  skip: ${why}`);
    assert.ok(!CI, `CI=true and ${why}`);
    return;
  }
  const { child, line } = startChild();
  try {
    const caps = JSON.parse(await line('caps'));
    assert.equal(caps, { native: true, backend: 'none' }, 'the refusing backend is the one loaded');
    const port = Number(await line('port'));
    const res = await fetch(`http://127.0.0.1:${port}/big.bin`);
    assert.is(res.status, 200);
    assert.is(res.headers.get('content-length'), String(data['big.bin'].length));
    const body = Buffer.from(await res.arrayBuffer());
    assert.is(body.length, data['big.bin'].length);
    assert.is(sha(body), sha(data['big.bin']));
    const result = JSON.parse(await line('result'));
    assert.is(result.status, 200);
    assert.is(result.path, 'buffered');
    assert.is(result.bytesSent, data['big.bin'].length);
    assert.is(result.complete, true);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test.run();
