// The Deno entry, the "deno" condition on ".": the Web-streams host over Deno's own streams
// (`Deno.connect()`'s `conn.writable`, `Deno.open()`'s FsFile). Deno 2 imports a .wasm file as
// an ES module whose exports are the instance's: no read permission and no fetch needed, so
// the core stays external and dist/deno.js expects core.wasm beside it.
import { coreFromInstance } from '../core.js';
import { ErrorCodes, codedError } from '../errors.js';
import { createWebEntry } from '../web/entry.js';
import type { FsFileLike } from '../web/host.js';
import * as coreExports from './core.wasm';

export * from './shared.js';
export type { FsFileLike };

// An FsFile's position is left at offset + bytesSent (unchanged when nothing was sent).
export const { sockSendfile, sockSendfileWithReport, capabilities, configure } =
  createWebEntry((options) => coreFromInstance({ exports: coreExports } as unknown as WebAssembly.Instance, options));

interface DenoLike { open(path: string | URL, options: { read: boolean }): Promise<FsFileLike> }

/** Opens a file for reading with Deno.open (needs --allow-read): the FsFile itself. */
export async function openFile(path: string | URL): Promise<FsFileLike> {
  const deno = (globalThis as { Deno?: DenoLike }).Deno;
  if (!deno) throw codedError(ErrorCodes.METHOD_NOT_IMPLEMENTED, 'openFile in the Deno entry needs Deno.open: this is not Deno');
  return deno.open(path, { read: true });
}
