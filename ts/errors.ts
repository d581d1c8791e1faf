// The closed set of errors this library creates, with stable `code`s. Errors that come from
// the runtime or the OS (EPIPE, ECONNRESET, a socket's own destroy(err), ...) are passed
// through with their own code and get `bytesSent` attached.

export const ErrorCodes = {
  INVALID_ARG_TYPE: 'ERR_INVALID_ARG_TYPE',
  OUT_OF_RANGE: 'ERR_OUT_OF_RANGE',
  NOT_AVAILABLE: 'ERR_SENDFILE_NOT_AVAILABLE',
  IN_PROGRESS: 'ERR_SENDFILE_IN_PROGRESS',
  ABORTED: 'ABORT_ERR',
  NOT_CONNECTED: 'ENOTCONN',
  ILLEGAL_SEEK: 'ESPIPE',
  IS_DIRECTORY: 'EISDIR',
  /** The socket was destroyed (before, or during, the transfer) and carried no error of its own. */
  STREAM_DESTROYED: 'ERR_STREAM_DESTROYED',
  /** The socket's writable side was already ended. */
  WRITE_AFTER_END: 'ERR_STREAM_WRITE_AFTER_END',
  /** A locked web stream, a transfer that ended, configure() after the first transfer. */
  INVALID_STATE: 'ERR_INVALID_STATE',
  /** openFile in a runtime without a file system. */
  METHOD_NOT_IMPLEMENTED: 'ERR_METHOD_NOT_IMPLEMENTED',
} as const;
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Every rejection of sockSendfile carries how many bytes went before it. */
export interface WithBytesSent { bytesSent: number }

/** No native path for this socket and file, and `fallback: false` was asked. */
export class SendfileNotAvailableError extends Error implements WithBytesSent {
  readonly code = ErrorCodes.NOT_AVAILABLE;
  bytesSent = 0;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SendfileNotAvailableError';
  }
}

/** The transfer was aborted by its signal; `cause` is the signal's reason. */
export class AbortError extends Error implements WithBytesSent {
  readonly code = ErrorCodes.ABORTED;
  bytesSent = 0;
  constructor(reason: unknown) {
    super('The operation was aborted', { cause: reason });
    this.name = 'AbortError';
  }
}

export function typeError(message: string): TypeError & { code: ErrorCode } {
  return Object.assign(new TypeError(message), { code: ErrorCodes.INVALID_ARG_TYPE });
}

export function rangeError(message: string): RangeError & { code: ErrorCode } {
  return Object.assign(new RangeError(message), { code: ErrorCodes.OUT_OF_RANGE });
}

export function codedError(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

/** Attaches bytesSent to any thrown value that can carry it, and returns it. */
export function withBytesSent<E>(err: E, bytesSent: number): E {
  if (err !== null && (typeof err === 'object' || typeof err === 'function')) {
    try {
      Object.defineProperty(err, 'bytesSent', { value: bytesSent, writable: true, configurable: true, enumerable: true });
    } catch { /* frozen: nothing to attach to */ }
  }
  return err;
}
