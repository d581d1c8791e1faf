// The generic web entry (package exports "./web", and the "browser" and "default" conditions
// on "."): the Web-streams host with the core embedded in the bundle, so it loads anywhere
// that can compile WebAssembly from bytes (browsers, Deno, Node, Bun) with no fetch and no
// file access. The core is ~5 KB: synchronous compilation is allowed on a browser's main
// thread (Chrome's limit is 8 MB since 114). workerd refuses to compile bytes: use the
// "workerd" condition there.
import { createCore } from '../core.js';
import { createWebEntry, noFileSystem } from '../web/entry.js';
import coreBytes from '../../dist/core.wasm';

export * from './shared.js';

export const { sockSendfile, sockSendfileWithReport, capabilities, configure } =
  createWebEntry((options) => createCore(new WebAssembly.Module(coreBytes as Uint8Array<ArrayBuffer>), options));

/** No file system here: rejects with code ERR_METHOD_NOT_IMPLEMENTED. */
export const openFile: (path: unknown) => Promise<never> = noFileSystem('this runtime');
