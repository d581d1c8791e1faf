// The command component (dist/wasi/sock-sendfile-command.wasm) under `jco run`, sending to a TCP
// receiver in another process; bytes checked by SHA-256 against the slice of the file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  gated, ipv6Available, jcoRun, makeFile, missingArtifacts, refusedPort, sha, startReceiver,
  tempDir,
} from './_helpers.js';

const dir = tempDir();
const SIZE = 1_234_567; // not a multiple of any slot or stream chunk
const data = makeFile(dir, 'f.bin', SIZE);

async function send(args, recvOpts) {
  const recv = await startReceiver(recvOpts);
  const run = await jcoRun(args(recv.port), { cwd: dir });
  if (run.code !== 0) recv.stop();
  const got = await recv.result;
  return { run, got };
}

function expectSent({ run, got }, slice) {
  assert.is(run.code, 0, `exit ${run.code}: ${run.stderr}`);
  assert.is(run.stdout, `${slice.length}\n`);
  assert.is(got.bytes, slice.length);
  assert.is(got.sha256, sha(slice));
}

gated(test, assert, missingArtifacts('sock-sendfile-command.wasm', 'jco-preopen.js'), (t) => {
  t('whole file', async () => {
    expectSent(await send((port) => ['f.bin', `127.0.0.1:${port}`]), data);
  });

  t('offset and count slice', async () => {
    expectSent(await send((port) => ['f.bin', `127.0.0.1:${port}`, '--offset', '1000', '--count', '300001']),
      data.subarray(1000, 301_001));
  });

  t('--offset=N --count=N forms, count past EOF stops at EOF', async () => {
    expectSent(await send((port) => ['f.bin', `127.0.0.1:${port}`, '--offset=1000000', '--count=99999999']),
      data.subarray(1_000_000));
  });

  t('empty slice: offset at EOF sends 0 bytes and succeeds', async () => {
    const r = await send((port) => ['f.bin', `127.0.0.1:${port}`, '--offset', String(SIZE)]);
    expectSent(r, Buffer.alloc(0));
    assert.ok(r.got.connected, 'the connection is still made');
  });

  t('empty slice: --count 0 sends 0 bytes', async () => {
    expectSent(await send((port) => ['f.bin', `127.0.0.1:${port}`, '--count', '0']), Buffer.alloc(0));
  });

  t('connection refused: exit 1, message on stderr, nothing on stdout', async () => {
    const port = await refusedPort();
    const run = await jcoRun(['f.bin', `127.0.0.1:${port}`], { cwd: dir });
    assert.is(run.code, 1);
    assert.is(run.stdout, '');
    assert.match(run.stderr, `send: connect 127.0.0.1:${port}: connection-refused`);
  });

  t('missing file: exit 1, message names the file, no connection made', async () => {
    const recv = await startReceiver({ lifeMs: 15_000 });
    const run = await jcoRun(['missing.bin', `127.0.0.1:${recv.port}`], { cwd: dir });
    recv.stop();
    const got = await recv.result;
    assert.is(run.code, 1);
    assert.is(run.stdout, '');
    assert.match(run.stderr, 'send: missing.bin: no-entry');
    assert.not.ok(got.connected, 'connected although the file was missing');
  });

  t('usage errors exit 1 with the usage line', async () => {
    const run = await jcoRun(['f.bin'], { cwd: dir });
    assert.is(run.code, 1);
    assert.match(run.stderr, 'usage: send FILE HOST:PORT');
    const bad = await jcoRun(['f.bin', '127.0.0.1:9', '--count', '-5'], { cwd: dir });
    assert.is(bad.code, 1);
    assert.match(bad.stderr, "--count must be a non-negative integer (got '-5')");
  });

  t('IPv6 loopback in brackets, and a name through ip-name-lookup', async () => {
    if (await ipv6Available()) {
      expectSent(await send((port) => ['f.bin', `[::1]:${port}`, '--count', '5000'], { host: '::1' }),
        data.subarray(0, 5000));
    } else {
      console.log('  skip: ::1 not available on this machine');
    }
    // "localhost" may resolve to ::1 first; the command tries each address in turn.
    expectSent(await send((port) => ['f.bin', `localhost:${port}`, '--offset', '7', '--count', '7000']),
      data.subarray(7, 7007));
  });
});

test.run();
