// The WASI runtimes beside jco (wasmtime, wazero, and wac and socat around them), as
// wasi/tools/runtimes.js reports them, and the command lines the README shows for each, run as
// written there: the tool by name, with the tools directory first on PATH.
//
// Invariant: every command line here is the README's (section WASI), with only paths and ports
// filled in.
import { join } from 'node:path';
import { missingFrom, runtimeStatus, toolEnv as envFor } from '../../wasi/tools/runtimes.js';
import { runProcess, wasiDist } from './_helpers.js';

export const tools = runtimeStatus();

/** Why one of `names` cannot run here, or null when all can. */
export const missingTools = (...names) => missingFrom(tools, ...names);

export const toolEnv = envFor(tools);

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
