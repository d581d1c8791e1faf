// The Cloudflare Workers (workerd) entry, the "workerd" condition on ".": the Web-streams host
// with the core imported as a WebAssembly.Module. workerd refuses to compile WebAssembly from
// bytes at run time, and a named import from a .wasm module fails when the Worker starts, so
// this is a default import, left external by the bundler: dist/workerd.js expects core.wasm
// beside it (wrangler's default rules and a workerd config's `wasm` module both provide that).
import type { Capabilities, SockSendfile, TransferReport } from '../api.js';
import { type CoreOptions, createCore } from '../core.js';
import { createWebEntry, noFileSystem } from '../web/entry.js';
import coreModule from './core.wasm';

export { SendfileNotAvailableError, AbortError, ErrorCodes } from '../errors.js';
export type { SendfileOptions } from '../validate.js';
export type { Capabilities, SockSendfile, TransferReport, CoreOptions };

const entry = createWebEntry((options) => createCore(coreModule as WebAssembly.Module, options));

/**
 * Sends `count` bytes of `file` (a Blob/File or a ReadableStream of bytes) from `offset` into
 * `sock`, a WritableStream such as `connect()`'s `socket.writable`; resolves with the bytes
 * sent. The writer's lock is released when it settles, so the Worker can keep writing.
 */
export const sockSendfile: SockSendfile = entry.sockSendfile;

/** sockSendfile that also tells which path moved the bytes (always 'buffered' here). */
export const sockSendfileWithReport: (...a: Parameters<SockSendfile>) => Promise<TransferReport> = entry.sockSendfileWithReport;

/** Always { native: false, backend: null, reason }: Workers have no sendfile. */
export function capabilities(): Capabilities { return entry.capabilities(); }

/** Sizes the core's fixed memory; only before the first transfer. */
export function configure(options: CoreOptions): void { entry.configure(options); }

/** Workers have no file system: rejects with code ERR_METHOD_NOT_IMPLEMENTED. */
export const openFile: (path: unknown) => Promise<never> = noFileSystem('Cloudflare Workers');
