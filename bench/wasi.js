// The benchmark's WASI section: one 1 GiB file to a loopback TCP receiver through the WASI
// artifacts in dist/wasi/, each sender a fresh process per run (a runtime starts, sends, exits),
// with `socat -u FILE TCP` as the native reference. See bench/README.md, section WASI.
//
// Invariants:
// - Each run is one process started by launch.c, which reports the process's exit status and CPU
//   time (wait4: every thread, every child); the wall clock runs in this process from just before
//   the start to the receiver's line for that connection, whichever of the two comes last, so
//   start-up (runtime, compilation cache) is inside the figure, as for a user.
// - A run counts only if the sender exited 0 and the receiver got exactly the file's size.
// - A sender whose runtime is missing is left out with the reason, never guessed.
import { join } from 'node:path';
import { lineChild } from './children.js';
import { missingFrom, runtimeStatus, toolEnv } from '../wasi/tools/runtimes.js';

const jcoBin = (root) => join(root, 'node_modules/@bytecodealliance/jco/dist/jco.js');

/**
 * The senders, in run order. `argv(ctx)` is launch.c's argument list; ctx has dist (dist/wasi),
 * root, file (a name inside cwd), port. `stdoutSocket` senders get the connection as stdout.
 */
export const WASI_SENDERS = [
  { id: 'wasmtime-cmd', label: 'command component, wasmtime 48', needs: ['wasmtime'],
    argv: (c) => ['wasmtime', 'run', '-S', 'inherit-network=y', '--dir', '.',
      join(c.dist, 'sock-sendfile-command.wasm'), c.file, `127.0.0.1:${c.port}`] },
  { id: 'jco-cmd', label: 'command component, jco run (Node)', needs: [],
    argv: (c) => [process.execPath, jcoBin(c.root), 'run', '--jco-import', join(c.dist, 'jco-preopen.js'),
      join(c.dist, 'sock-sendfile-command.wasm'), c.file, `127.0.0.1:${c.port}`] },
  { id: 'wasmtime-p1', label: 'preview1, wasmtime 48, stdout a socket', needs: ['wasmtime'], stdoutSocket: true,
    argv: (c) => ['wasmtime', 'run', '--dir', '.::/data', join(c.dist, 'sock-sendfile-preview1.wasm'), `/data/${c.file}`] },
  { id: 'wazero-p1', label: 'preview1, wazero 1.12, stdout a socket', needs: ['wazero'], stdoutSocket: true,
    argv: (c) => ['wazero', 'run', '-mount', '.:/data', join(c.dist, 'sock-sendfile-preview1.wasm'), `/data/${c.file}`] },
  { id: 'socat', label: 'socat -u FILE TCP (native reference)', needs: ['socat'],
    argv: (c) => ['socat', '-u', `FILE:${c.file}`, `TCP:127.0.0.1:${c.port}`] },
  // Information: socat moves 8 KiB per read and write by default; this is it with the 64 KiB
  // pieces the WASI senders use.
  { id: 'socat64k', label: 'socat -u -b 65536 FILE TCP (info)', needs: ['socat'],
    argv: (c) => ['socat', '-u', '-b', '65536', `FILE:${c.file}`, `TCP:127.0.0.1:${c.port}`] },
];

/** The senders this machine can run, and why each other one is left out. */
export function wasiPlan() {
  const tools = runtimeStatus();
  const senders = [], skipped = [];
  for (const s of WASI_SENDERS) {
    const why = missingFrom(tools, ...s.needs);
    if (why) skipped.push({ id: s.id, why }); else senders.push(s);
  }
  return { senders, skipped, env: toolEnv(tools) };
}

/**
 * One run of `sender`: resolves in the shape report.js summarizes ({ ok, valid, wallNs, cpuUs,
 * bytes, receiverBusy, error }).
 */
export async function wasiOnce(sender, { receiver, port, cwd, root, dist, file, expected, env, timeoutMs }) {
  const argv = sender.argv({ dist, root, file, port });
  const launchArgs = sender.stdoutSocket ? ['-o', String(port), ...argv] : argv;
  const received = receiver.ready(timeoutMs); // the receiver's line for this connection
  received.catch(() => {});
  const t0 = process.hrtime.bigint();
  const child = lineChild(launch.bin, launchArgs, { env, cwd });
  let line, rline;
  try {
    line = await child.ready(timeoutMs);
  } catch (err) {
    return { ok: false, error: `${sender.id}: ${err.message}` };
  }
  const [status, , cpuUs] = line.split(' ').map(Number);
  if (status !== 0) return { ok: false, error: `exit status ${status}: ${child.stderr.trim().slice(-300)}` };
  try {
    rline = await received;
  } catch (err) {
    return { ok: false, error: `receiver: ${err.message}` };
  }
  const wallNs = Number(process.hrtime.bigint() - t0);
  const [rBytes, rCpuUs] = rline.split(' ').map(Number);
  const r = { ok: true, wallNs, cpuUs, bytes: rBytes, receiverBusy: (rCpuUs * 1e3) / wallNs };
  r.valid = rBytes === expected;
  if (!r.valid) r.error = `receiver got ${rBytes} bytes, expected ${expected}`;
  return r;
}

/** Where launch.c was compiled to (run.js sets it). */
export const launch = { bin: null };
