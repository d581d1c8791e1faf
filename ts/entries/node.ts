// The Node and Bun entry (package exports "node", "./node", "default"): the Node host over
// the shared API.
import { makeSockSendfile, type Capabilities, type SockSendfile, type TransferReport } from '../api.js';
import type { CoreOptions } from '../core.js';
import { createNodeHost } from '../node/host.js';
import { configureCore, loadCore } from '../node/loader.js';

export { SendfileNotAvailableError, AbortError, ErrorCodes } from '../errors.js';
export type { SendfileOptions } from '../validate.js';
export type { Capabilities, SockSendfile, TransferReport, CoreOptions };
export { SendfileFile, openFile } from '../node/file.js';

const host = createNodeHost({ loadCore });
const impl = makeSockSendfile(host);

/**
 * Sends `count` bytes of `file` from `offset` (to EOF when count is undefined or null) over
 * `sock`; resolves with the bytes sent. See the README for the full contract.
 */
export const sockSendfile: SockSendfile = impl;

/** sockSendfile that also tells which path moved the bytes (used by `sock-sendfile check`). */
export const sockSendfileWithReport: (...a: Parameters<SockSendfile>) => Promise<TransferReport> = impl.withReport;

/** Which native backend is loaded, or why none is. */
export function capabilities(): Capabilities { return host.capabilities(); }

/** Sizes the core's fixed memory; only before the first transfer. */
export function configure(options: CoreOptions): void { configureCore(options); }
