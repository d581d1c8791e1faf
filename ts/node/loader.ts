// Loads the WASM core for Node and Bun: compiled once per process, lazily, from the
// core.wasm that sits beside the bundle in dist/.
//
// Invariants: one core per process (its slot pool is shared by every transfer); options can
// only be set before the first transfer, since the core's memory is laid out once.

import { readFileSync } from 'node:fs';
import { type Core, type CoreOptions, checkCoreOptions, createCore, tooLateError } from '../core.js';

let core: Core | undefined;
let options: CoreOptions = {};

export function configureCore(next: CoreOptions): void {
  if (core) throw tooLateError();
  options = checkCoreOptions(next);
}

export function loadCore(): Core {
  if (!core) {
    const bytes = readFileSync(new URL('./core.wasm', import.meta.url));
    core = createCore(new WebAssembly.Module(bytes), options);
  }
  return core;
}
