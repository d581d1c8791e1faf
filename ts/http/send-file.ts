// sendFile: one file as the response to one request, with RFC 9110 semantics.
//
// Invariants:
// - Only programming errors reject (bad arguments, a response already started); every
//   request-driven outcome is a status on the wire and a resolved SendFileResult.
// - GET and HEAD only; other methods get 405 with `Allow: GET, HEAD`.
// - Order: method, path (400/403/404/414), open + fstat, directory (index or 301),
//   precompressed sibling, preconditions (412/304), Range (206/416), then the body.
// - Every descriptor sendFile opens is closed exactly once, after the body ended or failed; a
//   descriptor (or SendfileFile, FileHandle) the caller passed in is never closed.
// - A small file under a root may be answered from memory (ts/http/cache.ts) instead of an
//   open: its bytes were read through a descriptor that passed the same checks, and its headers
//   come from a stat showing that same version.
// - A redirect's Location is this server's own path plus `/`: it starts with exactly one `/`,
//   so it can never name another host.

import { closeSync, fstatSync, type Stats } from 'node:fs';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { Http2ServerResponse, type Http2ServerRequest, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { join } from 'node:path';
import { type BodyPath, type BodyResult, type FileBody, type Target, headersSent, respondFile, respondSimple } from './body.js';
import { type Validators, evaluatePreconditions, httpDate, ifRangeAllows, strongEtag } from './conditional.js';
import { headersSentError, httpTypeError, httpValueError } from './errors.js';
import {
  type CacheOptions, type Encoding, ENCODINGS, type Headers, acceptedEncodings, cacheControlFor, contentTypeFor,
  precompressedList, statusBody,
} from './headers.js';
import {
  type Dotfiles, type Opened, type Refusal, type Segments, Root, dotfileRefusal, isRefusal, openChecked, segmentsOfPath,
} from './path.js';
import { DEFAULT_MAX_RANGES, decideRange, planMultipart } from './range.js';
import { BodyCache } from './cache.js';

/** What the `headers` hook is told about the file being sent. */
export interface FileInfo {
  /** The path opened (the precompressed sibling's when one is served), or '' for a caller's fd. */
  path: string;
  stat: Stats;
  /** The status about to be sent (200, 206). */
  status: number;
  /** 'br' or 'gzip' when a precompressed sibling is served. */
  encoding?: Encoding;
}

export interface SendFileOptions extends CacheOptions {
  /** Directory a path argument is resolved under; the path can never leave it. */
  root?: string;
  /** Send a strong ETag and honour If-Match / If-None-Match / If-Range with it (default true). */
  etag?: boolean;
  /** Send Last-Modified and honour the date preconditions (default true). */
  lastModified?: boolean;
  /** Content-Type: a fixed value, false for none, or a function of the path; default from the extension. */
  contentType?: string | false | ((path: string) => string | false);
  /** Honour Range and send `Accept-Ranges: bytes` (default true). */
  acceptRanges?: boolean;
  /** At most this many ranges in one request; more and the whole file is sent (default 16). */
  maxRanges?: number;
  /** Path segments starting with a dot: 'ignore' (404, default), 'deny' (403) or 'allow'. */
  dotfiles?: Dotfiles;
  /** File names tried in a directory whose path ends with `/` (default ['index.html']); false: none. */
  index?: string | string[] | false;
  /** A directory path without a trailing `/`: 301 to the path with one (default true), else 404. */
  redirect?: boolean;
  /** Serve `.br` / `.gz` siblings to clients that accept them (default false). */
  precompressed?: boolean | Encoding[];
  /** Serve symlinks that lead outside the root (default false: 404). */
  followSymlinks?: boolean;
  /** Called with the headers just before they are written; change them in place. */
  headers?: (headers: Headers, info: FileInfo) => void;
  /** Bodies of at most this many bytes (one range) are read and written with the headers in
   *  one write instead of a header write plus sendfile (default 65536; 0: always sendfile). */
  inlineMax?: number;
  /** Aborting ends the body early (the connection is closed). */
  signal?: AbortSignal;
}

export interface SendFileResult {
  /** The status sent. */
  status: number;
  /** Body bytes that left (0 for HEAD, 304, errors answered with a short text count their text). */
  bytesSent: number;
  /** Which path carried the file body: 'native' (sendfile), 'buffered', 'respondWithFD', or 'none'. */
  path: BodyPath;
  /** The whole response went out; false when the client left, the file shrank, or it was aborted. */
  complete: boolean;
  /** Why it did not complete, or why a status other than 2xx/304 was chosen. */
  error?: unknown;
  /** Why the request was refused (for 4xx/5xx the library chose). */
  reason?: string;
}

/** A request, or a raw HTTP/2 stream's header object. */
export type RequestLike = IncomingMessage | Http2ServerRequest | IncomingHttpHeaders;
/** A response, or a raw HTTP/2 stream. */
export type ResponseLike = ServerResponse | Http2ServerResponse | ServerHttp2Stream;
/** A file: a path, an fd, a SendfileFile or a FileHandle (anything with a numeric fd). */
export type FileLike = string | number | { fd: number; path?: string | Buffer | URL };

interface RequestView { method: string; url: string; headers: IncomingHttpHeaders }

function requestView(req: RequestLike): RequestView {
  const r = req as IncomingMessage & { originalUrl?: string };
  if (typeof r.method === 'string' && r.headers && typeof r.headers === 'object') {
    return { method: r.method, url: r.url ?? '/', headers: r.headers };
  }
  const h = req as IncomingHttpHeaders;
  if (typeof h[':method'] === 'string') return { method: h[':method'] as string, url: (h[':path'] as string) ?? '/', headers: h };
  throw httpTypeError('req must be an http.IncomingMessage, an Http2ServerRequest or an HTTP/2 header object');
}

function targetOf(req: RequestLike, res: ResponseLike): Target {
  if (res instanceof Http2ServerResponse) return { kind: 'http2-compat', res };
  const r = res as ServerHttp2Stream & ServerResponse;
  if (typeof r.respondWithFD === 'function') return { kind: 'http2-stream', stream: r };
  if (typeof r.writeHead === 'function' && typeof r.flushHeaders === 'function') {
    const socket = (req as IncomingMessage).socket;
    if (!socket) throw httpTypeError('an http.ServerResponse needs its http.IncomingMessage as req');
    return { kind: 'http1', res: r, req: req as IncomingMessage };
  }
  throw httpTypeError('res must be an http.ServerResponse, an Http2ServerResponse or an HTTP/2 stream');
}

const DEFAULT_INDEX = ['index.html'];
// Measured with the HTTP benchmark (README): at 16 KiB one write of headers and body costs
// less server CPU than a header write plus sendfile; at 1 MiB sendfile costs less.
const DEFAULT_INLINE_MAX = 64 * 1024;
const ALLOW = 'GET, HEAD';

/** Options checked once (serveStatic checks them at creation, sendFile per call). */
export interface ResolvedOptions {
  root: Root | null;
  etag: boolean;
  lastModified: boolean;
  contentType: SendFileOptions['contentType'];
  acceptRanges: boolean;
  maxRanges: number;
  dotfiles: Dotfiles;
  index: string[];
  redirect: boolean;
  precompressed: Encoding[];
  followSymlinks: boolean;
  cacheControl: string | null;
  headers?: SendFileOptions['headers'];
  inlineMax: number;
  signal?: AbortSignal;
}

const roots = new Map<string, Root>();
function rootFor(dir: string): Root {
  let r = roots.get(dir);
  if (!r) { r = new Root(dir); if (roots.size < 64) roots.set(dir, r); }
  return r;
}
// Small files served under a root, kept in memory (ts/http/cache.ts).
const bodyCache = new BodyCache();

/** Validates options and computes what does not change per request. */
export function resolveOptions(o: SendFileOptions = {}): ResolvedOptions {
  if (o === null || typeof o !== 'object') throw httpTypeError(`options must be an object (got ${String(o)})`);
  if (o.root !== undefined && typeof o.root !== 'string') throw httpTypeError('options.root must be a string');
  const dotfiles = o.dotfiles ?? 'ignore';
  if (!['ignore', 'deny', 'allow'].includes(dotfiles)) throw httpValueError(`options.dotfiles must be 'ignore', 'deny' or 'allow' (got ${String(dotfiles)})`);
  const index = o.index === false ? [] : o.index === undefined ? DEFAULT_INDEX : Array.isArray(o.index) ? o.index : [o.index];
  for (const i of index) {
    if (typeof i !== 'string' || !i || /[/\\\0]/.test(i)) throw httpValueError(`options.index entries must be plain file names (got ${String(i)})`);
  }
  const maxRanges = o.maxRanges ?? DEFAULT_MAX_RANGES;
  if (!Number.isInteger(maxRanges) || maxRanges < 1) throw httpValueError(`options.maxRanges must be a positive integer (got ${String(maxRanges)})`);
  const ct = o.contentType;
  if (ct !== undefined && ct !== false && typeof ct !== 'string' && typeof ct !== 'function') {
    throw httpTypeError('options.contentType must be a string, false or a function');
  }
  if (o.headers !== undefined && typeof o.headers !== 'function') throw httpTypeError('options.headers must be a function');
  const inlineMax = o.inlineMax ?? DEFAULT_INLINE_MAX;
  if (!Number.isSafeInteger(inlineMax) || inlineMax < 0) throw httpValueError(`options.inlineMax must be a non-negative integer (got ${String(inlineMax)})`);
  return {
    root: o.root === undefined ? null : rootFor(o.root),
    etag: o.etag !== false,
    lastModified: o.lastModified !== false,
    contentType: ct,
    acceptRanges: o.acceptRanges !== false,
    maxRanges,
    dotfiles,
    index,
    redirect: o.redirect !== false,
    precompressed: precompressedList(o.precompressed),
    followSymlinks: o.followSymlinks === true,
    cacheControl: cacheControlFor(o),
    headers: o.headers,
    inlineMax,
    signal: o.signal,
  };
}

/** Per-request context of a caller above sendFile (serveStatic, the Fastify plugin). */
export interface Context {
  /** Called instead of answering 404 (middleware passes the request on). */
  onMiss?: () => void;
  /** The URL a directory redirect is relative to (default: req.originalUrl, else req.url). */
  redirectFrom?: string;
}

function refusal(t: Target, method: string, r: Refusal, extra: Headers = {}, ctx?: Context): SendFileResult {
  if (r.status === 404 && ctx?.onMiss) {
    ctx.onMiss();
    return { status: 0, bytesSent: 0, path: 'none', complete: false, reason: `${r.reason}: passed on` };
  }
  const { headers, body } = statusBody(r.status, STATUS_CODES[r.status] ?? 'Error');
  const withBody = method !== 'HEAD';
  respondSimple(t, r.status, { ...headers, ...extra }, withBody ? body : null);
  return { status: r.status, bytesSent: withBody ? body.length : 0, path: 'none', complete: true, reason: r.reason };
}

/** The request's own path (mount prefix included) with `/` added, for a directory redirect. */
function redirectLocation(full: string): string {
  const q = full.search(/[?#]/);
  const path = q < 0 ? full : full.slice(0, q);
  const search = q >= 0 && full[q] === '?' ? full.slice(q).replace(/#.*/, '') : '';
  // One leading slash whatever the client sent (`//host`, `/\host`): never a network-path reference.
  const local = `/${path.replace(/^[/\\]+/, '')}`.replace(/[^\w\-.~!$&'()*+,;=:@/%]/g, encodeURIComponent);
  return `${local}/${search.replace(/[^\w\-.~!$&'()*+,;=:@/%?]/g, encodeURIComponent)}`;
}

/** The file to answer with; `bytes` when its whole content is already in memory. */
interface Chosen { opened: Opened; owned: boolean; encoding?: Encoding; bytes?: Buffer }

function openPath(
  segs: string[], trailing: boolean, o: ResolvedOptions, view: RequestView, req: RequestLike, t: Target, ctx?: Context,
): Chosen | SendFileResult {
  const refuse = (r: Refusal): SendFileResult => refusal(t, view.method, r, {}, ctx);
  const dot = dotfileRefusal(segs, o.dotfiles);
  if (dot) return refuse(dot);
  const full = o.root ? o.root.join(segs) : `/${segs.join('/')}`;
  // Whole small files from memory: HTTP/1 (the inline path), no Range, no encoding to choose.
  const root = o.root;
  const cache = root && t.kind === 'http1' && view.headers.range === undefined && !o.precompressed.length;
  const hit = cache ? bodyCache.lookup(full, root, !o.followSymlinks, o.inlineMax) : null;
  if (hit) return { opened: { fd: -1, stat: hit.stat, path: full }, owned: false, bytes: hit.bytes };
  let opened = openChecked(full, o.root, o.followSymlinks);
  if (isRefusal(opened)) return refuse(opened);
  if (cache && opened.stat.isFile()) {
    const bytes = bodyCache.fill(full, root, opened.fd, opened.stat, !o.followSymlinks, o.inlineMax);
    if (bytes) return { opened, owned: true, bytes };
  }
  if (opened.stat.isDirectory()) {
    closeSync(opened.fd);
    if (!trailing && segs.length > 0) {
      if (!o.redirect) return refuse({ status: 404, reason: 'directory' });
      const original = (req as { originalUrl?: unknown }).originalUrl;
      const location = redirectLocation(ctx?.redirectFrom ?? (typeof original === 'string' ? original : view.url));
      const { headers, body } = statusBody(301, `Redirecting to ${location}`);
      respondSimple(t, 301, { ...headers, location }, view.method === 'HEAD' ? null : body);
      return { status: 301, bytesSent: view.method === 'HEAD' ? 0 : body.length, path: 'none', complete: true };
    }
    let found: Opened | null = null;
    for (const name of o.index) {
      const candidate = openChecked(join(full, name), o.root, o.followSymlinks);
      if (isRefusal(candidate)) continue;
      if (candidate.stat.isFile()) { found = candidate; break; }
      closeSync(candidate.fd);
    }
    if (!found) return refuse({ status: 404, reason: 'directory without index' });
    opened = found;
  }
  if (o.precompressed.length) {
    const accepted = acceptedEncodings(view.headers['accept-encoding'] as string | undefined, o.precompressed);
    for (const enc of accepted) {
      const sibling = openChecked(opened.path + ENCODINGS[enc], o.root, o.followSymlinks);
      if (isRefusal(sibling)) continue;
      if (!sibling.stat.isFile()) { closeSync(sibling.fd); continue; }
      closeSync(opened.fd);
      return { opened: { ...sibling, path: opened.path }, owned: true, encoding: enc };
    }
  }
  return { opened, owned: true };
}

function openGiven(file: FileLike): Chosen {
  const fd = typeof file === 'number' ? file : (file as { fd: number }).fd;
  if (!Number.isInteger(fd) || fd < 0) throw httpTypeError(`file must be a path, a file descriptor, a SendfileFile or a FileHandle (got ${String(file)})`);
  const p = typeof file === 'object' ? (file as { path?: unknown }).path : undefined;
  const stat = fstatSync(fd);
  return { opened: { fd, stat, path: typeof p === 'string' ? p : '' }, owned: false };
}

function contentTypeOf(o: ResolvedOptions, path: string): string | false {
  const ct = o.contentType;
  if (ct === undefined) return path ? contentTypeFor(path) : 'application/octet-stream';
  if (typeof ct === 'function') return ct(path);
  return ct;
}

/**
 * Sends `file` as the response to `req` on `res` (HTTP/1 response, HTTP/2 compat response, or
 * raw HTTP/2 stream with its header object as `req`). Resolves with what was sent.
 */
export function sendFile(req: RequestLike, res: ResponseLike, file: FileLike, options?: SendFileOptions): Promise<SendFileResult> {
  let o: ResolvedOptions;
  try { o = resolveOptions(options); } catch (err) { return Promise.reject(err); }
  return sendResolved(req, res, file, o);
}

/**
 * sendFile with checked options. `file` is a plain path, an fd-like, or what a request URL
 * decoded to (segments, or the refusal of a hostile path).
 */
export function sendResolved(
  req: RequestLike, res: ResponseLike, file: FileLike | Segments | Refusal, o: ResolvedOptions, ctx?: Context,
): Promise<SendFileResult> {
  try { return Promise.resolve(sendNow(req, res, file, o, ctx)); } catch (err) { return Promise.reject(err); }
}

/**
 * sendResolved without a promise when the response went out at once (a small body, an error,
 * a 304): the result, or a promise of it. Programming errors throw (or reject).
 */
export function sendNow(
  req: RequestLike, res: ResponseLike, file: FileLike | Segments | Refusal, o: ResolvedOptions, ctx?: Context,
): SendFileResult | Promise<SendFileResult> {
  const view = requestView(req);
  const t = targetOf(req, res);
  if (headersSent(t)) throw headersSentError();
  if (view.method !== 'GET' && view.method !== 'HEAD') {
    return refusal(t, view.method, { status: 405, reason: 'method not allowed' }, { allow: ALLOW });
  }
  let chosen: Chosen | SendFileResult;
  if (typeof file === 'string') {
    if (!o.root && !file.startsWith('/')) throw httpValueError(`a relative path needs options.root (got ${file})`);
    const parts = segmentsOfPath(file);
    chosen = isRefusal(parts) ? refusal(t, view.method, parts, {}, ctx) : openPath(parts.segments, parts.trailingSlash, o, view, req, t, ctx);
  } else if (isRefusal(file)) {
    chosen = refusal(t, view.method, file, {}, ctx);
  } else if (isSegments(file)) {
    chosen = openPath(file.segments, file.trailingSlash, o, view, req, t, ctx);
  } else if (typeof file === 'number' || (file !== null && typeof file === 'object')) {
    try {
      chosen = openGiven(file);
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_INVALID_ARG_TYPE') throw err;
      return refusal(t, view.method, { status: 500, reason: `cannot examine the file: ${(err as Error).message}` });
    }
    if (!chosen.opened.stat.isFile()) return refusal(t, view.method, { status: 404, reason: 'not a regular file' }, {}, ctx);
  } else {
    throw httpTypeError(`file must be a path, a file descriptor, a SendfileFile or a FileHandle (got ${String(file)})`);
  }
  if (!('opened' in chosen)) return chosen;
  const { opened, owned, encoding, bytes } = chosen;
  let r: SendFileResult | Promise<SendFileResult>;
  try {
    r = respondOpened(t, view, o, opened, encoding, bytes);
  } catch (err) {
    if (owned) closeSync(opened.fd);
    throw err;
  }
  if (!owned) return r;
  if (r instanceof Promise) return r.finally(() => closeSync(opened.fd));
  closeSync(opened.fd);
  return r;
}

function isSegments(v: unknown): v is Segments {
  return typeof v === 'object' && v !== null && Array.isArray((v as Segments).segments);
}

function respondOpened(
  t: Target, view: RequestView, o: ResolvedOptions, opened: Opened, encoding?: Encoding, bytes?: Buffer,
): SendFileResult | Promise<SendFileResult> {
  const { stat } = opened;
  const size = stat.size;
  const lastModified = o.lastModified ? Math.floor(stat.mtimeMs / 1000) * 1000 : NaN;
  const v: Validators = {
    etag: o.etag ? strongEtag(size, stat.mtimeMs, encoding ? `-${encoding}` : '') : null,
    lastModified,
    lastModifiedText: o.lastModified ? httpDate(lastModified) : null,
  };
  const headers: Headers = {};
  if (o.cacheControl !== null) headers['cache-control'] = o.cacheControl;
  if (v.etag !== null) headers.etag = v.etag;
  if (v.lastModifiedText !== null) headers['last-modified'] = v.lastModifiedText;
  if (o.precompressed.length) headers.vary = 'Accept-Encoding';

  const pre = evaluatePreconditions(view.method, view.headers, v);
  if (pre === 304) {
    respondSimple(t, 304, headers, null);
    return { status: 304, bytesSent: 0, path: 'none', complete: true };
  }
  if (pre === 412) return refusal(t, view.method, { status: 412, reason: 'precondition failed' });

  const type = contentTypeOf(o, opened.path);
  if (o.acceptRanges) headers['accept-ranges'] = 'bytes';
  if (encoding) headers['content-encoding'] = encoding;

  let status = 200;
  let body: FileBody = { fd: opened.fd, name: opened.path, length: size, single: { start: 0, end: size - 1 }, bytes };
  const rangeHeader = view.headers.range;
  if (o.acceptRanges && view.method === 'GET' && typeof rangeHeader === 'string' && ifRangeAllows(view.headers, v)) {
    const d = decideRange(rangeHeader, size, o.maxRanges);
    if (d.kind === 'unsatisfiable') {
      return refusal(t, view.method, { status: 416, reason: 'range not satisfiable' }, { 'content-range': `bytes */${size}`, 'accept-ranges': 'bytes' });
    }
    if (d.kind === 'ranges' && d.ranges.length === 1) {
      const r = d.ranges[0];
      status = 206;
      headers['content-range'] = `bytes ${r.start}-${r.end}/${size}`;
      body = { fd: opened.fd, name: opened.path, length: r.end - r.start + 1, single: r };
    } else if (d.kind === 'ranges') {
      const plan = planMultipart(d.ranges, size, type || null);
      if (plan) {
        status = 206;
        body = { fd: opened.fd, name: opened.path, length: plan.length, parts: plan.parts, tail: plan.tail };
        headers['content-type'] = `multipart/byteranges; boundary=${plan.boundary}`;
      }
    }
  }
  if (type && headers['content-type'] === undefined) headers['content-type'] = type;
  headers['content-length'] = body.length;
  o.headers?.(headers, { path: opened.path, stat, status, ...(encoding ? { encoding } : {}) });

  if (view.method === 'HEAD' || body.length === 0) {
    respondSimple(t, status, headers, null);
    return { status, bytesSent: 0, path: 'none', complete: true };
  }
  const r = respondFile(t, status, headers, body, o.inlineMax, o.signal);
  return r instanceof Promise ? r.then((b) => fileResult(status, b)) : fileResult(status, r);
}

function fileResult(status: number, r: BodyResult): SendFileResult {
  return { status, bytesSent: r.bytesSent, path: r.path, complete: r.complete, ...(r.error !== undefined ? { error: r.error } : {}) };
}
