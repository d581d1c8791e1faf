// Shared by the WASI tests: where the artifacts are, temporary files, a TCP receiver in another
// process, and running processes (the command component under `jco run`, the runtimes).
//
// Invariants:
// - Every process started here is bounded in time and killed by its own pid, never by name.
// - Receivers listen on loopback only and live in another process: a synchronous component call
//   (or node:wasi start()) blocks this thread, so a receiver here would deadlock once the
//   kernel buffers fill.
// - A missing artifact or runtime turns a file's tests into skips with the reason printed,
//   except under CI=true, where the prerequisite test fails instead.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CI, sha, tempDir as tempDirIn } from '../lib.js';

export { CI, sha };

export const root = fileURLToPath(new URL('../../', import.meta.url));
// SOCK_SENDFILE_WASI_DIST (also read by wasi/build.sh) must lie inside the project, so
// the transpiled library and jco-preopen.js resolve @bytecodealliance/preview2-shim.
export const wasiDist = process.env.SOCK_SENDFILE_WASI_DIST || join(root, 'dist', 'wasi');
export const jcoBin = join(root, 'node_modules/@bytecodealliance/jco/dist/jco.js');
export const preopenModule = join(wasiDist, 'jco-preopen.js');


/**
 * Registers the file's tests, or skips them (with the reason printed) when `missing` names one.
 * Under CI=true nothing may be missing: a failing prerequisite test is registered instead.
 */
export function gated(test, assert, missing, register) {
  if (!missing) { register(test); return; }
  console.log(`  skip: ${missing}`);
  if (CI) test('prerequisites: artifacts and runtimes present', () => assert.unreachable(`CI=true and ${missing}`));
  register(test.skip);
}

/** The reason an artifact is missing, or null. */
export function missingArtifacts(...names) {
  const gone = names.filter((n) => !existsSync(join(wasiDist, n)));
  if (!gone.length) return null;
  return `${gone.join(', ')} not in ${wasiDist} (run bash wasi/build.sh)`;
}

export const tempDir = () => tempDirIn('wasi');

/** A file of `size` random bytes in `dir`. */
export function makeFile(dir, name, size) {
  const data = randomBytes(size);
  writeFileSync(join(dir, name), data);
  return data;
}

const children = new Set();
process.on('exit', () => { for (const c of children) { try { process.kill(c.pid, 'SIGKILL'); } catch {} } });

/**
 * Starts test/wasi/_receiver.js in another process: it accepts one connection on loopback,
 * hashes what arrives until the peer ends, and exits. Options: host ('127.0.0.1' or '::1'),
 * pauseFirst (ms before reading), slowMs (ms between reads of 16 KiB), lifeMs (self-exit),
 * resetAfter (bytes after which it resets the connection).
 * Resolves { port, result: Promise<{ connected, bytes, sha256 }>, stop() }.
 */
export function startReceiver({
  host = '127.0.0.1', pauseFirst = 0, slowMs = 0, lifeMs = 60_000, resetAfter = 0,
} = {}) {
  const child = spawn(process.execPath, [join(root, 'test/wasi/_receiver.js'),
    host, String(pauseFirst), String(slowMs), String(lifeMs), String(resetAfter)],
  { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  let out = '';
  const lines = [];
  let onLine = () => {};
  child.stdout.on('data', (d) => {
    out += d;
    let i;
    while ((i = out.indexOf('\n')) >= 0) { lines.push(out.slice(0, i)); out = out.slice(i + 1); onLine(); }
  });
  const exited = new Promise((res) => child.on('exit', () => { children.delete(child); res(); }));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('receiver did not start')), 10_000);
    onLine = () => {
      const m = /^port (\d+)$/.exec(lines[0] ?? '');
      if (!m) return;
      clearTimeout(timer);
      onLine = () => {};
      const result = exited.then(() => {
        const done = lines.map((l) => /^done (\d+) ([0-9a-f]+)$/.exec(l)).find(Boolean);
        return {
          connected: lines.includes('connected'),
          bytes: done ? Number(done[1]) : 0,
          sha256: done ? done[2] : sha(Buffer.alloc(0)),
        };
      });
      resolve({ port: Number(m[1]), result, stop: () => { try { process.kill(child.pid, 'SIGTERM'); } catch {} } });
    };
    child.on('exit', () => reject(new Error('receiver exited before listening')));
  });
}

/**
 * The receiver's result once the sender has exited (`senderFailed`: with a non-zero status). A
 * receiver that resets the connection (`resetAfter`) exits by itself once it has printed its
 * count, and stopping it as soon as the sender exits could lose that line: it gets 5 s. Any
 * other receiver of a failed sender is stopped at once.
 */
export async function receiverResult(recv, senderFailed, { resetAfter = 0 } = {}) {
  const stopper = senderFailed ? setTimeout(recv.stop, resetAfter ? 5000 : 0) : undefined;
  try { return await recv.result; } finally { clearTimeout(stopper); }
}

/** A loopback port nobody listens on (bound, then closed). */
export function refusedPort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

/** Whether ::1 can be listened on here. */
export function ipv6Available() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.on('error', () => resolve(false));
    s.listen(0, '::1', () => s.close(() => resolve(true)));
  });
}

/**
 * Runs `cmd args` with stdin closed. `stdout` is 'pipe' (collected) or a stream or fd the child
 * writes to directly (a connected socket, a file). Resolves { code, signal, stdout, stderr };
 * killed by pid after timeoutMs.
 */
export function runProcess(cmd, args, { cwd, env, stdout = 'pipe', timeoutMs = 60_000 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', stdout, 'pipe'] });
    children.add(child);
    let out = '', err = '';
    child.stdout?.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => { try { process.kill(child.pid, 'SIGKILL'); } catch {} }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, signal, stdout: out, stderr: err });
    });
  });
}

/**
 * `jco run` of the command component with `cwd` as the preopen "." (dist/wasi/jco-preopen.js,
 * the module users pass too).
 */
export function jcoRun(args, opts) {
  return runProcess(process.execPath, [jcoBin, 'run', '--jco-import', preopenModule,
    join(wasiDist, 'sock-sendfile-command.wasm'), ...args], opts);
}
