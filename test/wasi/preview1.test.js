// The preview1 command (dist/wasi/sock-sendfile-preview1.wasm: the C shell linked with the core)
// under Node's node:wasi. stdout is a connected TCP socket to a slow reader in another process
// (the socket is non-blocking, so the guest meets EAGAIN and must poll), or a file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, openSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { WASI } from 'node:wasi';
import { gated, makeFile, missingArtifacts, sha, startReceiver, tempDir, wasiDist } from './_helpers.js';

const WASI_EAGAIN = 6; // wasi_snapshot_preview1 errno "again"

const dir = tempDir();
const SIZE = 777_777;
const data = makeFile(dir, 'f.bin', SIZE);
let module;
let runs = 0;

/**
 * Runs the command with `args` and stdout on `stdoutFd`; resolves { code, stderr, eagain }
 * where eagain counts fd_write calls that returned EAGAIN.
 */
async function runP1(args, stdoutFd) {
  module ??= await WebAssembly.compile(readFileSync(join(wasiDist, 'sock-sendfile-preview1.wasm')));
  const errPath = join(dir, `stderr-${runs++}`);
  const errFd = openSync(errPath, 'w');
  const wasi = new WASI({
    version: 'preview1', args: ['send', ...args], env: {},
    preopens: { '/data': dir, '.': dir }, stdout: stdoutFd, stderr: errFd, returnOnExit: true,
  });
  const imports = wasi.getImportObject();
  const p1 = imports.wasi_snapshot_preview1;
  let eagain = 0;
  const fdWrite = p1.fd_write;
  p1.fd_write = (...a) => { const r = fdWrite(...a); if (r === WASI_EAGAIN) eagain++; return r; };
  const code = wasi.start(await WebAssembly.instantiate(module, imports));
  closeSync(errFd);
  return { code, stderr: readFileSync(errPath, 'utf8').replace(/^.*ExperimentalWarning.*\n|^\(Use `node.*\n/gm, ''), eagain };
}

async function toFile(args) {
  const outPath = join(dir, `out-${runs}`);
  const fd = openSync(outPath, 'w');
  let r;
  try { r = await runP1(args, fd); } finally { closeSync(fd); }
  return { ...r, out: readFileSync(outPath) };
}

async function toSocket(args, recvOpts) {
  const recv = await startReceiver(recvOpts);
  const sock = net.connect(recv.port, '127.0.0.1');
  sock.on('error', () => {});
  await new Promise((res, rej) => { sock.once('connect', res); sock.once('error', rej); });
  let r;
  try { r = await runP1(args, sock._handle.fd); } finally { sock.end(); }
  const got = await recv.result;
  sock.destroy();
  return { ...r, got };
}

gated(test, assert, missingArtifacts('sock-sendfile-preview1.wasm'), (t) => {
  t('stdout a socket to a slow reader: EAGAIN met and polled through, bytes exact', async () => {
    const big = makeFile(dir, 'big.bin', 12 << 20);
    const r = await toSocket(['/data/big.bin'], { pauseFirst: 400, slowMs: 1 });
    assert.is(r.code, 0, r.stderr);
    assert.ok(r.eagain > 0, 'the socket never returned EAGAIN: the reader was not slow enough to test polling');
    assert.is(r.got.bytes, big.length);
    assert.is(r.got.sha256, sha(big));
  });

  t('stdout a socket: a slice, relative path through the "." preopen', async () => {
    const r = await toSocket(['f.bin', '--offset', '4097', '--count', '500000'], { slowMs: 1 });
    assert.is(r.code, 0, r.stderr);
    assert.is(r.got.sha256, sha(data.subarray(4097, 504_097)));
  });

  t('stdout a socket the peer resets: exit 1, bytes sent on stderr cover what arrived', async () => {
    makeFile(dir, 'reset.bin', 32 << 20);
    const r = await toSocket(['/data/reset.bin'], { resetAfter: 256 << 10 });
    assert.is(r.code, 1);
    const m = /send: write: .* \((\d+) bytes? sent\)/.exec(r.stderr);
    assert.ok(m, `stderr: ${r.stderr}`);
    assert.ok(Number(m[1]) >= r.got.bytes, `reported ${m[1]} < received ${r.got.bytes}`);
    assert.ok(Number(m[1]) < 32 << 20);
  });

  t('stdout a file: whole file', async () => {
    const r = await toFile(['/data/f.bin']);
    assert.is(r.code, 0, r.stderr);
    assert.is(sha(r.out), sha(data));
  });

  t('stdout a file: slice, count past EOF, empty slices', async () => {
    let r = await toFile(['/data/f.bin', '--offset=65535', '--count=65537']);
    assert.is(r.code, 0, r.stderr);
    assert.is(sha(r.out), sha(data.subarray(65_535, 131_072)));
    r = await toFile(['/data/f.bin', '--offset', '700000', '--count', '99999999']);
    assert.is(r.code, 0, r.stderr);
    assert.is(sha(r.out), sha(data.subarray(700_000)));
    r = await toFile(['/data/f.bin', '--offset', String(SIZE + 10)]);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.out.length, 0);
    r = await toFile(['/data/f.bin', '--count', '0']);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.out.length, 0);
  });

  t('errors: missing file and directory exit 1, usage exits 2, nothing on stdout', async () => {
    let r = await toFile(['/data/missing.bin']);
    assert.is(r.code, 1);
    assert.match(r.stderr, 'send: /data/missing.bin: No such file or directory');
    assert.is(r.out.length, 0);
    r = await toFile(['/data']);
    assert.is(r.code, 1);
    assert.match(r.stderr, 'Is a directory');
    r = await toFile([]);
    assert.is(r.code, 2);
    assert.match(r.stderr, 'usage: send FILE');
    r = await toFile(['/data/f.bin', '--offset', 'x']);
    assert.is(r.code, 2);
    assert.is(r.out.length, 0);
  });
});

test.run();
