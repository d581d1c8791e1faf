// The preview1 command (dist/wasi/sock-sendfile-preview1.wasm) under wasmtime and wazero, run
// by the README's shell lines: stdout a connected TCP socket (`> /dev/tcp/...`, and socat's
// EXEC:...,nofork, the inetd style), or a file. Receivers run in another process; every received
// byte is checked.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gated, makeFile, missingArtifacts, receiverResult, sha, startReceiver, tempDir } from './_helpers.js';
import { missingTools, preview1Wasm, q, shell } from './_runtimes.js';

const dir = tempDir();
const SIZE = 777_777;
const data = makeFile(dir, 'f.bin', SIZE);
const big = makeFile(dir, 'big.bin', 12 << 20);

// README: how each runtime runs the command with the current directory as /data.
const RUN = {
  wasmtime: (args, wasm = q(preview1Wasm)) => `wasmtime run --dir .::/data ${wasm} ${args}`,
  wazero: (args, wasm = q(preview1Wasm)) => `wazero run -mount .:/data ${wasm} ${args}`,
};
// socat's EXEC splits its command at spaces itself (no shell, so no quotes) and reads ':' as
// its own separator unless escaped.
const socatExec = (cmd, args) => q(`EXEC:${cmd(args, preview1Wasm).replace(/:/g, '\\:')},nofork`);

async function toSocket(line, recvOpts) {
  const recv = await startReceiver(recvOpts);
  const r = await shell(line(recv.port), { cwd: dir });
  return { ...r, got: await receiverResult(recv, r.code !== 0, recvOpts) };
}

async function toFile(cmd, args) {
  const r = await shell(`${cmd(args)} > out.bin`, { cwd: dir });
  return { ...r, out: readFileSync(join(dir, 'out.bin')) };
}

function expectBytes(r, want) {
  assert.is(r.code, 0, `exit ${r.code} ${r.signal ?? ''}: ${r.stderr}`);
  assert.is(r.got.bytes, want.length);
  assert.is(r.got.sha256, sha(want));
}

for (const [name, cmd] of Object.entries(RUN)) {
  gated(test, assert, missingArtifacts('sock-sendfile-preview1.wasm') ?? missingTools(name), (t) => {
    t(`${name}: stdout a socket (> /dev/tcp) to a slow reader: 12 MiB, bytes exact`, async () => {
      const r = await toSocket((port) => `${cmd('/data/big.bin')} > /dev/tcp/127.0.0.1/${port}`,
        { pauseFirst: 400, slowMs: 1 });
      expectBytes(r, big);
    });

    t(`${name}: stdout a socket: a slice, and count past EOF`, async () => {
      expectBytes(await toSocket((port) => `${cmd('/data/f.bin --offset 4097 --count 500000')} > /dev/tcp/127.0.0.1/${port}`),
        data.subarray(4097, 504_097));
      expectBytes(await toSocket((port) => `${cmd('/data/f.bin --offset=700000 --count=99999999')} > /dev/tcp/127.0.0.1/${port}`),
        data.subarray(700_000));
    });

    t(`${name}: stdout a socket the peer resets: exit 1, stderr says so with the bytes sent`, async () => {
      const r = await toSocket((port) => `${cmd('/data/big.bin')} > /dev/tcp/127.0.0.1/${port}`,
        { resetAfter: 256 << 10 });
      if (process.env.WASI_TEST_VERBOSE) console.log(name, r.code, r.signal, r.stderr.trim(), 'received', r.got.bytes);
      assert.is(r.code, 1, `exit ${r.code} ${r.signal ?? ''}: ${r.stderr}`);
      const m = /send: write: .* \((\d+) bytes? sent\)/.exec(r.stderr);
      assert.ok(m, `stderr: ${r.stderr}`);
      assert.ok(Number(m[1]) >= r.got.bytes, `reported ${m[1]} < received ${r.got.bytes}`);
      assert.ok(Number(m[1]) < big.length);
      assert.is(r.got.sha256, sha(big.subarray(0, r.got.bytes)));
    });

    t(`${name}: stdout a file: whole, slice, count past EOF, empty slices`, async () => {
      const cases = [['/data/f.bin', data], ['/data/f.bin --offset=65535 --count=65537', data.subarray(65_535, 131_072)],
        ['/data/f.bin --offset 700000 --count 99999999', data.subarray(700_000)],
        [`/data/f.bin --offset ${SIZE + 10}`, Buffer.alloc(0)], ['/data/f.bin --count 0', Buffer.alloc(0)]];
      for (const [args, want] of cases) {
        const r = await toFile(cmd, args);
        assert.is(r.code, 0, `${args}: ${r.stderr}`);
        assert.is(sha(r.out), sha(want), args);
      }
    });

    t(`${name}: errors: missing file and directory exit 1, usage exits 2, nothing on stdout`, async () => {
      let r = await toFile(cmd, '/data/missing.bin');
      assert.is(r.code, 1);
      assert.match(r.stderr, 'send: /data/missing.bin: No such file or directory');
      assert.is(r.out.length, 0);
      r = await toFile(cmd, '/data');
      assert.is(r.code, 1);
      assert.match(r.stderr, 'Is a directory');
      r = await toFile(cmd, '--count x /data/f.bin');
      assert.is(r.code, 2);
      assert.match(r.stderr, 'usage: send FILE');
      assert.is(r.out.length, 0);
    });
  });

  gated(test, assert, missingArtifacts('sock-sendfile-preview1.wasm') ?? missingTools(name, 'socat'), (t) => {
    t(`${name}: inetd style, socat EXEC:...,nofork hands it the socket as stdout`, async () => {
      const r = await toSocket((port) => `socat TCP:127.0.0.1:${port} ${socatExec(cmd, '/data/f.bin --offset 1 --count 300000')}`,
        { slowMs: 1 });
      expectBytes(r, data.subarray(1, 300_001));
    });
  });
}

test.run();
