// The Deno entry under real Deno 2 (npm `deno`): a script that imports `sock-sendfile` through
// the package's "deno" condition sends a real file's slices over Deno.connect to receivers on
// 127.0.0.1 (SHA-256 checked here), plus bad arguments, `fallback: false` and an abort. Also
// `sock-sendfile/node` under Deno's Node compatibility: it must take the buffered path.
// Outside CI a Deno that cannot start is a skip; with CI=true, a failure.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root, sha, tempDir, receiver, run, within, unavailable } from './_helpers.js';

// TEST_DENO: another deno binary (and a way to see the skip path).
const deno = process.env.TEST_DENO || join(root, 'node_modules/.bin/deno');

test('dist/deno.js: imports ./core.wasm as a module beside it, no node:* imports', () => {
  assert.ok(existsSync(join(root, 'dist/deno.js')) && existsSync(join(root, 'dist/core.wasm')), 'run build.sh first');
  const src = readFileSync(join(root, 'dist/deno.js'), 'utf8');
  assert.match(src, /^import \* as \w+ from "\.\/core\.wasm";$/m);
  assert.not.match(src, /from\s+["']node:/);
});

let why = '';
const version = await run(deno, ['--version'], { ms: 30_000 }).catch((err) => ({ code: -1, stderr: err.message }));
if (!existsSync(deno)) why = `${deno} missing`;
else if (version.code !== 0) why = `Deno does not start: ${(version.stderr || version.stdout || 'no output').trim().split('\n').pop()}`;

/** A project directory whose node_modules/sock-sendfile is this package, as an install would make it. */
function project() {
  const dir = tempDir();
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(root, join(dir, 'node_modules/sock-sendfile'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', dependencies: { 'sock-sendfile': '*' } }));
  return dir;
}

function denoRun(dir, script, args, allowRead) {
  return run(deno, ['run', '--quiet', '--no-prompt', '--node-modules-dir=manual', '--allow-net=127.0.0.1',
    `--allow-read=${allowRead}`, script, ...args.map(String)], { cwd: dir, ms: 60_000, env: { DENO_NO_UPDATE_CHECK: '1', DENO_DIR: join(dir, '.deno') } });
}

if (why) {
  unavailable('Deno', why);
} else {
  test('Deno: Deno.connect + Deno.open slices, bad arguments, fallback: false, abort', async () => {
    const dir = project();
    const data = randomBytes(8 * 1024 * 1024 + 3);
    const file = join(dir, 'data.bin');
    writeFileSync(file, data);
    const rx = await receiver();
    const slow = await receiver({ slow: 20 });
    try {
      const script = join(root, 'test/web/fixtures/deno-send.js');
      // Read access to the data directory only: the Deno entry loads its core as a module.
      const r = await denoRun(dir, script, [rx.port, slow.port, file], dir);
      assert.is(r.code, 0, `deno exited ${r.code}${r.timedOut ? ' (timed out)' : ''}: ${r.stderr.slice(-3000)}`);
      const out = JSON.parse(r.stdout.trim().split('\n').pop());
      if (process.env.DEBUG_WEB_TESTS) console.log(JSON.stringify({ ...out, slice: { ...out.slice, progress: out.slice.progress.length } }));
      assert.equal(out.capabilities.native, false);

      // slice
      assert.is(out.slice.sent, 300_000);
      assert.is(out.slice.position, 301_000);
      assert.is(out.slice.progress.at(-1), 300_000);
      assert.ok(out.slice.progress.every((n, i, a) => i === 0 || n > a[i - 1]));
      const got1 = await within(10_000, rx.conn(), 'slice receiver');
      assert.is(got1.sha, sha(Buffer.concat([data.subarray(1000, 301_000), Buffer.from('END')])));

      // whole file, count past EOF
      assert.is(out.whole.sent, data.length);
      assert.is(out.whole.position, data.length);
      const got2 = await within(10_000, rx.conn(), 'whole-file receiver');
      assert.is(got2.sha, sha(data));

      // bad arguments: the contract's errors, nothing sent, position kept
      const bad = out.bad;
      assert.is(bad.offset.code, 'ERR_OUT_OF_RANGE');
      assert.ok(bad.offset.isRange);
      assert.is(bad.offset.message, 'offset must be a non-negative integer (got -1)');
      assert.is(bad.count.code, 'ERR_INVALID_ARG_TYPE');
      assert.is(bad.count.message, 'count must be a positive integer (got 1.5)');
      assert.is(bad.file.code, 'ERR_INVALID_ARG_TYPE');
      assert.match(bad.file.message, /Blob or File/);
      assert.is(bad.sock.message, 'only SOCK_STREAM type sockets are supported');
      for (const k of ['offset', 'count', 'file', 'sock']) assert.is(bad[k].bytesSent, 0, k);
      assert.is(bad.locked, false);
      assert.is(bad.noFallback.name, 'SendfileNotAvailableError');
      assert.is(bad.noFallback.code, 'ERR_SENDFILE_NOT_AVAILABLE');
      assert.ok(bad.noFallback.isClass);
      assert.is(bad.noFallback.bytesSent, 0);
      assert.is(bad.closed.code, 'EBADF');
      assert.is(bad.closed.bytesSent, 0);
      assert.is(bad.position, 5);
      const got3 = await within(10_000, rx.conn(), 'bad-argument receiver');
      assert.is(got3.bytes.length, 0);

      // abort
      const ab = out.abort;
      assert.is(ab.name, 'AbortError');
      assert.is(ab.code, 'ABORT_ERR');
      assert.is(ab.cause, 'Error: enough');
      assert.ok(ab.bytesSent >= 512 * 1024 && ab.bytesSent < data.length - ab.offset, String(ab.bytesSent));
      assert.is(ab.position, ab.offset + ab.bytesSent);
      assert.ok(ab.unlocked);
      const got4 = await within(30_000, slow.conn(), 'abort receiver');
      assert.is(got4.bytes.length, ab.bytesSent);
      assert.is(got4.sha, sha(data.subarray(ab.offset, ab.offset + ab.bytesSent)));
    } finally {
      await rx.close();
      await slow.close();
    }
  });

  test("Deno: the README's example", async () => {
    const dir = project();
    const data = randomBytes(5000);
    const file = join(dir, 'data.bin');
    writeFileSync(file, data);
    const rx = await receiver();
    try {
      const r = await denoRun(dir, join(root, 'test/web/fixtures/readme-deno.js'), ['127.0.0.1', rx.port, file], dir);
      assert.is(r.code, 0, `deno exited ${r.code}${r.timedOut ? ' (timed out)' : ''}: ${r.stderr.slice(-3000)}`);
      assert.is(r.stdout.trim(), 'sent 1000 bytes; position 1100');
      const got = await within(10_000, rx.conn(), 'receiver');
      assert.is(got.sha, sha(data.subarray(100, 1100)));
    } finally {
      await rx.close();
    }
  });

  test('Deno: sock-sendfile/node under Node compatibility falls back to the buffered path', async () => {
    const dir = project();
    const data = randomBytes(3_000_000);
    const file = join(dir, 'data.bin');
    writeFileSync(file, data);
    const rx = await receiver();
    try {
      // The Node entry reads dist/core.wasm with node:fs, so it needs read access to the package.
      const r = await denoRun(dir, join(root, 'test/web/fixtures/deno-node.js'), [rx.port, file], `${dir},${root}`);
      assert.is(r.code, 0, `deno exited ${r.code}${r.timedOut ? ' (timed out)' : ''}: ${r.stderr.slice(-3000)}`);
      const out = JSON.parse(r.stdout.trim().split('\n').pop());
      assert.equal(out.error, undefined, JSON.stringify(out.error));
      assert.is(out.capabilities.native, false);
      assert.match(out.capabilities.reason, /Deno/);
      assert.equal(out.report, { bytesSent: 2_000_000, nativeBytes: 0, path: 'buffered' });
      assert.is(out.tell, 2_000_100);
      assert.equal(out.noFallback, { name: 'SendfileNotAvailableError', code: 'ERR_SENDFILE_NOT_AVAILABLE', bytesSent: 0 });
      assert.is(out.tellAfter, 2_000_100);
      const got = await within(10_000, rx.conn(), 'receiver');
      assert.is(got.sha, sha(data.subarray(100, 2_000_100)));
    } finally {
      await rx.close();
    }
  });
}

test.run();
