// What every runtime entry re-exports besides its functions: the error classes, the codes and
// the public types, named once here.
export { SendfileNotAvailableError, AbortError, ErrorCodes } from '../errors.js';
export type { SendfileOptions } from '../validate.js';
export type { Capabilities, Entry, SockSendfile, TransferReport } from '../api.js';
export type { CoreOptions } from '../core.js';
