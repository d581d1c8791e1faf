// The WASI runtimes beside jco (wasmtime, wazero, and wac and socat around them), as
// wasi/install-runtimes.sh --status reports them, and the command lines the README shows for
// each, run exactly as written there: the tool by name, with the tools directory first on PATH.
//
// Invariants:
// - The pinned versions have one owner, the install script; a tool at another version is
//   missing, with the script's reason.
// - Every command line here is the README's (section WASI), with only paths and ports filled in.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { root, runProcess, wasiDist } from './_helpers.js';

const installer = join(root, 'wasi/install-runtimes.sh');

function readStatus() {
  const r = spawnSync('bash', [installer, '--status'], { encoding: 'utf8', timeout: 30_000 });
  const tools = {};
  for (const line of (r.stdout || '').split('\n')) {
    const m = /^(\S+) (?:- (.*)|(\S.*))$/.exec(line);
    if (m) tools[m[1]] = m[2] ? { missing: m[2] } : { path: m[3] };
  }
  return tools;
}

export const tools = readStatus();

/** Why one of `names` cannot run here, or null when all can. */
export function missingTools(...names) {
  const why = names.map((n) => tools[n]?.missing ?? (tools[n] ? null : `${n}: ${installer} --status failed`))
    .filter(Boolean);
  return why.length ? why.join('; ') : null;
}

// The tools directory first on PATH, so a command names `wasmtime` as the README does.
const toolDirs = [...new Set(Object.values(tools).filter((t) => t.path).map((t) => dirname(t.path)))];
export const toolEnv = { ...process.env, PATH: [...toolDirs, process.env.PATH].join(':') };

export const commandWasm = join(wasiDist, 'sock-sendfile-command.wasm');
export const libraryWasm = join(wasiDist, 'sock-sendfile-library.wasm');
export const preview1Wasm = join(wasiDist, 'sock-sendfile-preview1.wasm');

/** README: the command component under wasmtime, FILE relative to the preopen "." (cwd). */
export function wasmtimeCommand(args, opts = {}) {
  return runProcess('wasmtime', ['run', '-S', 'inherit-network=y', '-S', 'allow-ip-name-lookup=y',
    '--dir', '.', commandWasm, ...args], { ...opts, env: toolEnv });
}

/** Runs a shell line with the tools on PATH; resolves like runProcess. */
export function shell(line, opts = {}) {
  return runProcess('bash', ['-c', line], { ...opts, env: toolEnv });
}

/** Single-quotes a word for bash. */
export const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
