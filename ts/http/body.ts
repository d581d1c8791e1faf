// Writing a response: headers through the runtime's own HTTP machinery, the file body through
// sendfile where the socket allows it, through the response stream otherwise.
//
// Invariants:
// - Headers are always written by Node (writeHead / respond), so headersSent, 'finish',
//   keep-alive and end() keep working for every framework above us.
// - The native body touches the socket only while this response owns it
//   (socket._httpMessage === res) and after the headers were handed to it; sockSendfile itself
//   waits for Node's queue to drain before any sendfile, so header and body bytes never swap
//   and a pipelined response's bytes never interleave with ours.
// - end() is called only after the last body byte left; a body shorter than the promised
//   Content-Length (the file shrank, or the transfer failed) ends in destroying the connection,
//   never in the next response's bytes.
// - Nothing here throws or rejects for I/O: a client gone mid-body yields complete: false.
// - A single range of at most `inlineMax` bytes is read before anything is sent and leaves in
//   one write with the headers: a header segment and a sendfile segment cost two trips through
//   the TCP stack, which for small files costs more than the copy (README, HTTP benchmark).
//   A file found shorter than its fstat said then fails before any byte (connection closed).
// - The descriptor is the caller's: this module never closes it.

import { readSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerResponse, ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import { SendfileFile, capabilities, sockSendfile, sockSendfileWithReport } from '../entries/node.js';
import type { Headers } from './headers.js';
import type { ByteRange, Part } from './range.js';

/** Which path carried the body: sendfile, the response stream, HTTP/2's respondWithFD, one
 *  write with the headers (small bodies), or none (no body). */
export type BodyPath = 'native' | 'buffered' | 'respondWithFD' | 'inline' | 'none';

export interface BodyResult {
  /** Body bytes that left (multipart delimiters included). */
  bytesSent: number;
  path: BodyPath;
  /** The whole promised body went and the response ended normally. */
  complete: boolean;
  /** Why it did not complete (a client that went away, a file that shrank, an abort). */
  error?: unknown;
}

/** Where a response goes: an HTTP/1 response, HTTP/2 through the compat API, or a raw stream. */
export type Target =
  | { kind: 'http1'; res: ServerResponse; req: IncomingMessage }
  | { kind: 'http2-compat'; res: Http2ServerResponse }
  | { kind: 'http2-stream'; stream: ServerHttp2Stream };

/** The file part of a response: one range, or multipart parts plus their closing delimiter. */
export interface FileBody {
  fd: number;
  name: string;
  length: number;
  single?: ByteRange;
  parts?: Part[];
  tail?: Buffer;
  /** The whole file, already read (ts/http/cache.ts): sent from here, never modified. */
  bytes?: Buffer;
}

let nativeAvailable: boolean | undefined;
/** Whether this process has a native sendfile (fixed once loaded: the env is read at start). */
export function nativeBackend(): boolean {
  return (nativeAvailable ??= capabilities().native);
}

export function headersSent(t: Target): boolean {
  return t.kind === 'http2-stream' ? t.stream.headersSent : t.res.headersSent;
}

/** A response with no file body: an error, a redirect, a 304, a HEAD. */
export function respondSimple(t: Target, status: number, headers: Headers, body: Buffer | null): void {
  if (t.kind === 'http2-stream') {
    if (t.stream.destroyed) return;
    t.stream.respond({ ':status': status, ...headers }, { endStream: body === null });
    if (body !== null) t.stream.end(body);
    return;
  }
  const res = t.res as ServerResponse;
  if (res.destroyed) return;
  res.writeHead(status, headers);
  if (body !== null) res.end(body); else res.end();
}

type Owned = { socket: Socket } | { gone: unknown };

/** Resolves once `res` owns its connection (pipelined responses wait their turn). */
function ownership(res: ServerResponse, req: IncomingMessage): Owned | Promise<Owned> {
  const sock = res.socket as (Socket & { _httpMessage?: unknown }) | null;
  if (sock && sock._httpMessage === res) return { socket: sock };
  const conn = req.socket;
  if (!conn || conn.destroyed) return { gone: new Error('the connection closed before the response could start') };
  return new Promise<Owned>((resolve) => {
    const done = (v: Owned): void => {
      res.off('socket', onSocket);
      conn.off('close', onClose);
      resolve(v);
    };
    // 'socket' fires inside assignSocket before it flushes our buffered headers; the promise
    // continuation runs after assignSocket returns, when they were handed to the socket.
    const onSocket = (s: Socket): void => done({ socket: s });
    const onClose = (): void => done({ gone: new Error('the connection closed while the response waited for its turn') });
    res.once('socket', onSocket);
    conn.once('close', onClose);
  });
}

const shrank = (): Error => Object.assign(new Error('the file shrank below its Content-Length'), { code: 'ERR_FILE_SHRANK' });

const sentOf = (err: unknown): number => {
  const n = (err as { bytesSent?: unknown } | null)?.bytesSent;
  return typeof n === 'number' ? n : 0;
};

/** Sends the ranges of `body` into `sink` with sockSendfile; returns bytes sent and the first failure. */
async function sendRanges(
  sink: Socket | ServerResponse | Http2ServerResponse | ServerHttp2Stream,
  body: FileBody,
  signal: AbortSignal | undefined,
  report: { native: boolean },
): Promise<{ sent: number; error?: unknown }> {
  const file = new SendfileFile(body.fd, body.name);
  const pieces: Array<{ head?: Buffer; range: ByteRange }> = body.parts ?? [{ range: body.single! }];
  let sent = 0;
  for (const { head, range } of pieces) {
    if (head) { sink.write(head); sent += head.length; }
    const want = range.end - range.start + 1;
    try {
      if (report.native) {
        const r = await sockSendfileWithReport(sink, file, range.start, want, { signal });
        sent += r.bytesSent;
        report.native = r.path === 'native';
        if (r.bytesSent < want) return { sent, error: shrank() };
      } else {
        const n = await sockSendfile(sink, file, range.start, want, { signal });
        sent += n;
        if (n < want) return { sent, error: shrank() };
      }
    } catch (err) {
      return { sent: sent + sentOf(err), error: err };
    }
  }
  if (body.tail) { sink.write(body.tail); sent += body.tail.length; }
  return { sent };
}

/** An AbortSignal that fires when `emitter` closes or `outer` aborts; call off() when done. */
function closeSignal(emitter: NodeJS.EventEmitter, outer: AbortSignal | undefined): { signal: AbortSignal; off: () => void } {
  const ac = new AbortController();
  const onClose = (): void => ac.abort(new Error('the client went away'));
  const onAbort = (): void => ac.abort(outer!.reason);
  emitter.once('close', onClose);
  if (outer) { if (outer.aborted) onAbort(); else outer.addEventListener('abort', onAbort, { once: true }); }
  return {
    signal: ac.signal,
    off: () => { emitter.off('close', onClose); outer?.removeEventListener('abort', onAbort); },
  };
}

async function http1Native(res: ServerResponse, req: IncomingMessage, status: number, headers: Headers, body: FileBody, signal?: AbortSignal): Promise<BodyResult> {
  res.writeHead(status, headers);
  res.flushHeaders();
  const owned = ownership(res, req);
  const o = owned instanceof Promise ? await owned : owned;
  if ('gone' in o) { res.destroy(); return { bytesSent: 0, path: 'none', complete: false, error: o.gone }; }
  const sock = o.socket;
  // Node's HTTP server disables Nagle by default (noDelay: true); a server that turned it
  // back on would hold our first sendfile segment behind the header's ACK (~40 ms).
  sock.setNoDelay(true);
  const report = { native: true };
  const { sent, error } = await sendRanges(sock, body, signal, report);
  const path: BodyPath = report.native ? 'native' : 'buffered';
  if (error !== undefined || sent !== body.length) {
    res.destroy();
    return { bytesSent: sent, path, complete: false, error };
  }
  res.end();
  return { bytesSent: sent, path, complete: true };
}

async function streamed(t: Target, status: number, headers: Headers, body: FileBody, signal?: AbortSignal): Promise<BodyResult> {
  const sink = t.kind === 'http2-stream' ? t.stream : t.res;
  if (t.kind === 'http2-stream') t.stream.respond({ ':status': status, ...headers });
  else (t.res as ServerResponse).writeHead(status, headers);
  const watch = closeSignal(sink, signal);
  try {
    const { sent, error } = await sendRanges(sink, body, watch.signal, { native: false });
    if (error !== undefined || sent !== body.length) {
      sink.destroy();
      return { bytesSent: sent, path: 'buffered', complete: false, error };
    }
    sink.end();
    return { bytesSent: sent, path: 'buffered', complete: true };
  } finally {
    watch.off();
  }
}

function respondWithFD(stream: ServerHttp2Stream, status: number, headers: Headers, body: FileBody): Promise<BodyResult> {
  const range = body.single!;
  return new Promise((resolve) => {
    stream.once('close', () => {
      const ok = stream.rstCode === 0;
      resolve({
        bytesSent: ok ? body.length : 0, path: 'respondWithFD', complete: ok,
        ...(ok ? {} : { error: Object.assign(new Error(`the stream was reset (code ${stream.rstCode})`), { code: 'ERR_HTTP2_STREAM_RESET' }) }),
      });
    });
    stream.respondWithFD(body.fd, { ':status': status, ...headers }, { offset: range.start, length: range.end - range.start + 1 });
  });
}

// Buffers for inline bodies, reused once Node is done with them (the write callback): fresh
// memory for every response cost page faults and GC, measured at about 4 µs per 16 KiB body.
const INLINE_POOL_MAX = 64;
const inlinePool = new Map<number, Buffer[]>();
function takeBuffer(size: number): Buffer {
  const cls = Math.max(4096, 2 ** Math.ceil(Math.log2(size)));
  return inlinePool.get(cls)?.pop() ?? Buffer.allocUnsafeSlow(cls);
}
function giveBuffer(buf: Buffer): void {
  let list = inlinePool.get(buf.length);
  if (!list) inlinePool.set(buf.length, (list = []));
  if (list.length < INLINE_POOL_MAX) list.push(buf);
}

/** Reads the whole small body now and sends it with the headers in one write, once `res`
 *  owns its connection (so `complete` means handed to the socket, not queued behind another).
 *  Synchronous when it owns the connection already (no promise per response). */
function inline(t: Target & { kind: 'http1' }, status: number, headers: Headers, body: FileBody): BodyResult | Promise<BodyResult> {
  const owned = ownership(t.res, t.req);
  if (owned instanceof Promise) return owned.then((o) => inlineOwned(t, status, headers, body, o));
  return inlineOwned(t, status, headers, body, owned);
}

function inlineOwned(t: Target & { kind: 'http1' }, status: number, headers: Headers, body: FileBody, o: Owned): BodyResult {
  if ('gone' in o) { t.res.destroy(); return { bytesSent: 0, path: 'none', complete: false, error: o.gone }; }
  const range = body.single!;
  if (body.bytes) {
    t.res.writeHead(status, headers);
    const whole = range.start === 0 && range.end + 1 === body.bytes.length;
    t.res.end(whole ? body.bytes : body.bytes.subarray(range.start, range.end + 1));
    return { bytesSent: body.length, path: 'inline', complete: true };
  }
  const buf = takeBuffer(body.length);
  let n = 0;
  try {
    while (n < body.length) {
      const r = readSync(body.fd, buf, n, body.length - n, range.start + n);
      if (r === 0) break;
      n += r;
    }
  } catch (err) {
    giveBuffer(buf);
    t.res.destroy();
    return { bytesSent: 0, path: 'inline', complete: false, error: err };
  }
  if (n < body.length) {
    giveBuffer(buf);
    t.res.destroy();
    return { bytesSent: 0, path: 'inline', complete: false, error: shrank() };
  }
  t.res.writeHead(status, headers);
  // The callback runs once the socket took the bytes, or with an error once it never will.
  t.res.end(buf.subarray(0, n), () => giveBuffer(buf));
  return { bytesSent: n, path: 'inline', complete: true };
}

/** Sends status, headers and the file body to `t`; resolves when the body ended or failed
 *  (a plain value when it went out at once). */
export function respondFile(
  t: Target, status: number, headers: Headers, body: FileBody, inlineMax: number, signal?: AbortSignal,
): BodyResult | Promise<BodyResult> {
  if (t.kind === 'http1' && body.single && body.length <= inlineMax) return inline(t, status, headers, body);
  if (t.kind === 'http1') {
    // A connection with no descriptor of its own (Bun's node:http gives an emulated socket)
    // or with TLS on it takes the response stream.
    const conn = t.req.socket as Socket & { encrypted?: boolean; _handle?: { fd?: number } | null };
    const fd = conn._handle?.fd;
    if (nativeBackend() && !conn.encrypted && typeof fd === 'number' && fd >= 0) {
      return http1Native(t.res, t.req, status, headers, body, signal);
    }
    return streamed(t, status, headers, body, signal);
  }
  const stream = t.kind === 'http2-stream' ? t.stream : t.res.stream;
  if (body.single && !stream.destroyed) {
    const merged = t.kind === 'http2-compat' ? { ...t.res.getHeaders(), ...headers } as Headers : headers;
    return respondWithFD(stream, status, merged, body);
  }
  return streamed(t, status, headers, body, signal);
}
