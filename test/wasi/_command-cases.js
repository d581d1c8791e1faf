// The command component's cases: one table for every runtime that runs
// dist/wasi/sock-sendfile-command.wasm (command.test.js under jco, wasmtime.test.js under
// wasmtime). A runner is `run(args, { cwd })` resolving { code, stdout, stderr }; register()
// turns each row into one uvu test with that runner.
//
// Invariants:
// - Every byte a receiver got is checked: a successful case by the slice's SHA-256, a failing
//   one by the SHA-256 of the file's prefix of that length (what arrived before the failure
//   must still be the file, in order).
// - A row states the exit status, what stdout and stderr must say, and whether a connection
//   may be made; nothing is inferred from the runner.
// - The receiver runs in another process (_helpers.js): a runtime's synchronous call must never
//   share a thread with its peer.
import * as assert from 'uvu/assert';
import { ipv6Available, makeFile, receiverResult, refusedPort, sha, startReceiver } from './_helpers.js';

const SIZE = 1_234_567; // not a multiple of any slot or stream chunk
const BIG = 16 << 20; // large enough that a reset lands mid-transfer in every runtime
const RESET_AFTER = 256 << 10;

const at = (host) => (port) => `${host}:${port}`;
const v4 = at('127.0.0.1');

/**
 * Rows. `args(target)` builds the command line from the receiver's HOST:PORT; `slice` is the
 * [start, end) of f.bin that must arrive; `fails` is the stderr text (a string, or a function
 * of the target) of a failing run, which exits 1 with nothing on stdout.
 */
export const CASES = [
  { name: 'whole file', args: (t) => ['f.bin', t], slice: [0, SIZE] },
  { name: 'offset and count slice', args: (t) => ['f.bin', t, '--offset', '1000', '--count', '300001'],
    slice: [1000, 301_001] },
  // Past the core's first (2 MiB) piece, ending mid-file off any 64 KiB boundary: the host
  // splices whole chunks and the tail goes through a slot, never a byte past the count.
  { name: 'a 3 MB slice of a 16 MiB file', file: 'big.bin', args: (t) => ['big.bin', t, '--offset', '100', '--count', '3000001'],
    slice: [100, 3_000_101] },
  { name: '--offset=N --count=N forms, count past EOF stops at EOF',
    args: (t) => ['f.bin', t, '--offset=1000000', '--count=99999999'], slice: [1_000_000, SIZE] },
  { name: 'offset at EOF: 0 bytes, still connects, exit 0', args: (t) => ['f.bin', t, '--offset', String(SIZE)],
    slice: [SIZE, SIZE] },
  { name: '--count 0: 0 bytes', args: (t) => ['f.bin', t, '--count', '0'], slice: [0, 0] },
  { name: 'IPv6 loopback in brackets', host: '::1', target: at('[::1]'),
    args: (t) => ['f.bin', t, '--count', '5000'], slice: [0, 5000] },
  // "localhost" may resolve to ::1 first; the command tries each address in turn.
  { name: 'a host name through ip-name-lookup', target: at('localhost'),
    args: (t) => ['f.bin', t, '--offset', '7', '--count', '7000'], slice: [7, 7007] },
  { name: 'connection refused', refused: true, args: (t) => ['f.bin', t],
    fails: (t) => `send: connect ${t}: connection-refused` },
  { name: 'missing file: named, and no connection made', args: (t) => ['missing.bin', t],
    fails: 'send: missing.bin: no-entry', noConnection: true },
  { name: 'a directory: refused before connecting', args: (t) => ['.', t],
    fails: 'send: .: is-directory', noConnection: true },
  { name: 'peer resets mid-transfer: stderr carries the bytes sent', file: 'big.bin',
    receiver: { resetAfter: RESET_AFTER }, args: (t) => ['big.bin', t], reset: true },
  { name: 'usage error: no target', args: () => ['f.bin'], fails: 'usage: send FILE HOST:PORT' },
  { name: 'usage error: a negative count', args: () => ['f.bin', '127.0.0.1:9', '--count', '-5'],
    fails: "--count must be a non-negative integer (got '-5')" },
  { name: '--help: usage on stdout, exit 0', args: () => ['--help'], help: true },
];

/** Makes the files the table sends in `dir`; returns their contents by name. */
export function makeCaseFiles(dir) {
  return { 'f.bin': makeFile(dir, 'f.bin', SIZE), 'big.bin': makeFile(dir, 'big.bin', BIG) };
}

// The reset row: exit 1, one stderr line ending in the bytes sent, which cover what arrived and
// stay below the file's size; what arrived is the file's prefix.
function checkReset(run, got, data) {
  assert.is(run.code, 1, `exit ${run.code}: ${run.stderr}`);
  assert.is(run.stdout, '');
  const m = /^send: write: .* \((\d+) bytes? sent\)\n$/.exec(run.stderr);
  assert.ok(m, `stderr: ${run.stderr}`);
  const sent = Number(m[1]);
  assert.ok(sent >= got.bytes, `reported ${sent} < received ${got.bytes}`);
  assert.ok(sent < data.length, `reported ${sent}: the whole file, so no reset was seen`);
  assert.ok(got.bytes >= RESET_AFTER, `received only ${got.bytes}`);
  assert.is(got.sha256, sha(data.subarray(0, got.bytes)));
}

async function runCase(kase, run, dir, files) {
  if (kase.help) {
    const r = await run(kase.args(), { cwd: dir });
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, 'usage: send FILE HOST:PORT');
    return;
  }
  if (kase.host === '::1' && !(await ipv6Available())) {
    console.log('  skip: ::1 not available on this machine');
    return;
  }
  const data = files[kase.file ?? 'f.bin'];
  const target = kase.target ?? v4;
  if (kase.refused) {
    const t = target(await refusedPort());
    const r = await run(kase.args(t), { cwd: dir });
    assert.is(r.code, 1, r.stderr);
    assert.is(r.stdout, '');
    assert.is(r.stderr, `${kase.fails(t)}\n`);
    return;
  }
  const recv = await startReceiver({ host: kase.host, lifeMs: 60_000, ...kase.receiver });
  const t = target(recv.port);
  const r = await run(kase.args(t), { cwd: dir });
  const got = await receiverResult(recv, r.code !== 0, kase.receiver);
  if (kase.reset) return checkReset(r, got, data);
  if (kase.fails) {
    assert.is(r.code, 1, `exit ${r.code}: ${r.stderr}`);
    assert.is(r.stdout, '');
    const want = typeof kase.fails === 'function' ? kase.fails(t) : kase.fails;
    assert.match(r.stderr, want);
    assert.is(r.stderr.split('\n').length, 2, `one line on stderr: ${r.stderr}`);
    if (kase.noConnection) assert.not.ok(got.connected, 'connected although it should not have');
    return;
  }
  const want = data.subarray(...kase.slice);
  assert.is(r.code, 0, `exit ${r.code}: ${r.stderr}`);
  assert.is(r.stdout, `${want.length}\n`);
  assert.ok(got.connected, 'no connection made');
  assert.is(got.bytes, want.length);
  assert.is(got.sha256, sha(want));
}

/** Registers every row as a test `t(name)` that runs the command through `run`. */
export function registerCommandCases(t, run, dir) {
  const files = makeCaseFiles(dir);
  for (const kase of CASES) t(kase.name, () => runCase(kase, run, dir, files));
}
