// The library component composed into a caller: library-caller.wat (a command that connects
// with wasi:sockets/tcp and opens a file through a preopen) is made a component with jco's API,
// composed with dist/wasi/sock-sendfile-library.wasm by `wac plug`, and run by `wasmtime run`
// (send-file gets wasmtime's own TCP output stream and descriptor) and by `jco run`. Receivers
// run in another process; every received byte is checked.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  gated, jcoBin, makeFile, missingArtifacts, preopenModule, root, receiverResult, runProcess, sha, startReceiver, tempDir,
} from './_helpers.js';
import { libraryWasm, missingTools, toolEnv } from './_runtimes.js';

const dir = tempDir();
const SIZE = 1_000_003;
const data = makeFile(dir, 'f.bin', SIZE);
const big = makeFile(dir, 'big.bin', 16 << 20);

// The caller's world needs the library's package and the WASI packages as dependencies.
async function buildCaller() {
  const { parse, componentEmbed, componentNew } = await import('@bytecodealliance/jco');
  const { _addPreopen } = await import('@bytecodealliance/preview2-shim/filesystem');
  _addPreopen('/', '/'); // jco's wasm-tools reads witPath through the shim's filesystem
  const wit = join(dir, 'wit');
  mkdirSync(join(wit, 'deps', 'sock-sendfile'), { recursive: true });
  cpSync(join(root, 'wasi/wit/deps'), join(wit, 'deps'), { recursive: true });
  cpSync(join(root, 'wasi/wit/sock-sendfile.wit'), join(wit, 'deps/sock-sendfile/sock-sendfile.wit'));
  cpSync(join(root, 'test/wasi/library-caller.wit'), join(wit, 'caller.wit'));
  const core = await parse(readFileSync(join(root, 'test/wasi/library-caller.wat'), 'utf8'));
  const embedded = await componentEmbed({ binary: core, witPath: wit, world: 'library-caller' });
  writeFileSync(join(dir, 'caller.wasm'), await componentNew(embedded));
  // README: `wac plug caller.wasm --plug sock-sendfile-library.wasm -o app.wasm`
  const r = await runProcess('wac', ['plug', 'caller.wasm', '--plug', libraryWasm, '-o', 'app.wasm'],
    { cwd: dir, env: toolEnv });
  assert.is(r.code, 0, `wac plug: ${r.stderr}`);
  return join(dir, 'app.wasm');
}
let app;

// How each runtime runs the composed component with the current directory as its first preopen.
const RUNNERS = {
  // README: `wasmtime run -S inherit-network=y --dir . app.wasm ...`
  wasmtime: (wasm, args) => runProcess('wasmtime', ['run', '-S', 'inherit-network=y', '--dir', '.', wasm, ...args],
    { cwd: dir, env: toolEnv }),
  jco: (wasm, args) => runProcess(process.execPath, [jcoBin, 'run', '--jco-import', preopenModule, wasm, ...args],
    { cwd: dir }),
};

async function send(runner, file, offset, count, recvOpts) {
  app ??= buildCaller();
  const wasm = await app;
  const recv = await startReceiver(recvOpts);
  const args = [file, String(recv.port), String(offset), ...(count === undefined ? [] : [String(count)])];
  const run = await RUNNERS[runner](wasm, args);
  return { run, got: await receiverResult(recv, run.code !== 0, recvOpts) };
}

function expectSent({ run, got }, slice) {
  assert.is(run.code, 0, `exit ${run.code}: ${run.stdout}${run.stderr}`);
  assert.is(run.stdout, `sent ${slice.length}\n`);
  assert.is(got.bytes, slice.length);
  assert.is(got.sha256, sha(slice));
}

for (const [runner, needs] of [['wasmtime', ['wasmtime', 'wac']], ['jco', ['wac']]]) {
  const missing = missingArtifacts('sock-sendfile-library.wasm', 'jco-preopen.js') ?? missingTools(...needs);
  gated(test, assert, missing, (t) => {
    t(`${runner}: a slice into a TCP stream`, async () => {
      expectSent(await send(runner, 'f.bin', 12_345, 300_001), data.subarray(12_345, 312_346));
    });

    t(`${runner}: whole file (count none), and count past EOF`, async () => {
      expectSent(await send(runner, 'f.bin', 0), data);
      expectSent(await send(runner, 'f.bin', 999_000, 50_000), data.subarray(999_000));
    });

    t(`${runner}: offset at EOF: 0 bytes`, async () => {
      expectSent(await send(runner, 'f.bin', SIZE, 10), Buffer.alloc(0));
    });

    t(`${runner}: send-error: a directory, sent 0 and a message`, async () => {
      const { run, got } = await send(runner, '.', 0);
      assert.is(run.code, 1, run.stderr);
      assert.match(run.stdout, /^error 0 \S.*\n$/);
      assert.is(got.bytes, 0);
    });

    t(`${runner}: send-error: the peer resets mid-transfer; sent covers what arrived`, async () => {
      const { run, got } = await send(runner, 'big.bin', 0, undefined, { resetAfter: 256 << 10 });
      assert.is(run.code, 1, run.stderr);
      const m = /^error (\d+) (\S.*)\n$/.exec(run.stdout);
      assert.ok(m, `stdout: ${run.stdout} stderr: ${run.stderr}`);
      const sent = Number(m[1]);
      assert.ok(sent >= got.bytes, `sent ${sent} < received ${got.bytes}`);
      assert.ok(sent < big.length, `sent ${sent}: no reset seen`);
      assert.is(got.sha256, sha(big.subarray(0, got.bytes)));
    });
  });
}

test.run();
