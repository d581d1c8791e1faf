// The generic web entry (package exports "./web", and the "browser" and "default" conditions
// on "."): the Web-streams host with the core embedded in the bundle, so it loads anywhere
// that can compile WebAssembly from bytes (browsers, Deno, Node, Bun) with no fetch and no
// file access. The core is ~5 KB: synchronous compilation is allowed on a browser's main
// thread (Chrome's limit is 8 MB since 114). workerd refuses to compile bytes: use the
// "workerd" condition there.
import type { Capabilities, SockSendfile, TransferReport } from '../api.js';
import { type CoreOptions, createCore } from '../core.js';
import { createWebEntry, noFileSystem } from '../web/entry.js';
import coreBytes from '../../dist/core.wasm';

export { SendfileNotAvailableError, AbortError, ErrorCodes } from '../errors.js';
export type { SendfileOptions } from '../validate.js';
export type { Capabilities, SockSendfile, TransferReport, CoreOptions };

const entry = createWebEntry((options) => createCore(new WebAssembly.Module(coreBytes as Uint8Array<ArrayBuffer>), options));

/**
 * Sends `count` bytes of `file` (a Blob/File, a ReadableStream of bytes or a Deno.FsFile) from
 * `offset` (to EOF when count is undefined or null) into the WritableStream `sock`; resolves
 * with the bytes sent. Buffered only: `fallback: false` rejects with SendfileNotAvailableError.
 */
export const sockSendfile: SockSendfile = entry.sockSendfile;

/** sockSendfile that also tells which path moved the bytes (always 'buffered' here). */
export const sockSendfileWithReport: (...a: Parameters<SockSendfile>) => Promise<TransferReport> = entry.sockSendfileWithReport;

/** Always { native: false, backend: null, reason }: web runtimes have no sendfile. */
export function capabilities(): Capabilities { return entry.capabilities(); }

/** Sizes the core's fixed memory; only before the first transfer. */
export function configure(options: CoreOptions): void { entry.configure(options); }

/** No file system here: rejects with code ERR_METHOD_NOT_IMPLEMENTED. */
export const openFile: (path: unknown) => Promise<never> = noFileSystem('this runtime');
