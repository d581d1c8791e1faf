// The Cloudflare Workers (workerd) entry, the "workerd" condition on ".": the Web-streams host
// with the core imported as a WebAssembly.Module. workerd refuses to compile WebAssembly from
// bytes at run time, and a named import from a .wasm module fails when the Worker starts, so
// this is a default import, left external by the bundler: dist/workerd.js expects core.wasm
// beside it (wrangler's default rules and a workerd config's `wasm` module both provide that).
// `sock` is a WritableStream such as `connect()`'s `socket.writable`; the writer's lock is
// released when a transfer settles, so the Worker can keep writing.
import { createCore } from '../core.js';
import { createWebEntry, noFileSystem } from '../web/entry.js';
import coreModule from './core.wasm';

export * from './shared.js';

export const { sockSendfile, sockSendfileWithReport, capabilities, configure } =
  createWebEntry((options) => createCore(coreModule as WebAssembly.Module, options));

/** Workers have no file system: rejects with code ERR_METHOD_NOT_IMPLEMENTED. */
export const openFile: (path: unknown) => Promise<never> = noFileSystem('Cloudflare Workers');
