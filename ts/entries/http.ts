// The HTTP entry (package export "./http"): file responses for node:http, https, http2,
// Connect/Express and Fastify, with the body through sendfile where the socket allows it.
// A client of the Node entry (dist/node.js), which it imports rather than bundles.
export { sendFile, type SendFileOptions, type SendFileResult, type FileInfo, type RequestLike, type ResponseLike, type FileLike } from '../http/send-file.js';
export { serveStatic, type ServeStaticOptions, type StaticHandler, type NextFunction } from '../http/static.js';
export { fastifySendfile, type FastifySendfileOptions } from '../http/fastify.js';
export { HttpErrorCodes, type HttpErrorCode } from '../http/errors.js';
export type { Headers } from '../http/headers.js';
export type { BodyPath } from '../http/body.js';
export type { Dotfiles } from '../http/path.js';
export type { Encoding } from '../http/headers.js';
