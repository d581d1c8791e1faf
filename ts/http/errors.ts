// The closed set of errors sock-sendfile/http itself throws, each with a stable `code`. Only
// programming errors become exceptions (bad options, a response that already started); what a
// client asks for (a missing file, a bad range, a disconnect) becomes an HTTP status or a result.

export const HttpErrorCodes = {
  INVALID_ARG_TYPE: 'ERR_INVALID_ARG_TYPE',
  INVALID_ARG_VALUE: 'ERR_INVALID_ARG_VALUE',
  /** sendFile was called on a response whose headers were already sent. */
  HEADERS_SENT: 'ERR_HTTP_HEADERS_SENT',
} as const;
export type HttpErrorCode = (typeof HttpErrorCodes)[keyof typeof HttpErrorCodes];

export function httpTypeError(message: string): TypeError & { code: HttpErrorCode } {
  return Object.assign(new TypeError(message), { code: HttpErrorCodes.INVALID_ARG_TYPE });
}

export function httpValueError(message: string): TypeError & { code: HttpErrorCode } {
  return Object.assign(new TypeError(message), { code: HttpErrorCodes.INVALID_ARG_VALUE });
}

export function headersSentError(): Error & { code: HttpErrorCode } {
  return Object.assign(new Error('cannot send a file: the response headers were already sent'), { code: HttpErrorCodes.HEADERS_SENT });
}
