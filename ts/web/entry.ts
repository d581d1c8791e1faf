// What every web entry (web, workerd, deno) exports, built over one core loader. Each entry
// differs only in how it gets the compiled core: embedded bytes, a `.wasm` module import, or
// Deno's instance import.
//
// Invariants: one core per entry module (its slot pool is shared by every transfer); core
// options can only change before the first transfer, because the core lays out its memory once
// and never grows it (a grow would detach the slot views).

import { type Entry, makeEntry } from '../api.js';
import { type Core, type CoreOptions, checkCoreOptions, tooLateError } from '../core.js';
import { ErrorCodes, codedError } from '../errors.js';
import { createWebHost } from './host.js';

/**
 * Web defaults: 16 slots of 64 KiB (1 MiB of core memory). Every chunk is copied once more
 * for the stream that owns it, and browser tabs and isolates are small; configure() raises it.
 */
export const WEB_CORE_DEFAULTS: CoreOptions = { slots: 16, slotSize: 64 * 1024 };

/** Builds an entry's exports; `instantiate` makes the core the first time a transfer needs it. */
export function createWebEntry(instantiate: (options: CoreOptions) => Core): Entry {
  let core: Core | undefined;
  let options: CoreOptions = { ...WEB_CORE_DEFAULTS };
  const host = createWebHost({ loadCore: () => (core ??= instantiate(options)) });
  return makeEntry(host, (next: CoreOptions): void => {
    if (core) throw tooLateError();
    options = { ...WEB_CORE_DEFAULTS, ...checkCoreOptions(next) };
  });
}

/** openFile for runtimes without a file system: a rejection with a code, never a throw. */
export function noFileSystem(runtime: string): (path: unknown) => Promise<never> {
  return async () => {
    throw codedError(ErrorCodes.METHOD_NOT_IMPLEMENTED,
      `openFile is not available on ${runtime} (no file system): pass a Blob, File or ReadableStream of bytes as the file`);
  };
}
