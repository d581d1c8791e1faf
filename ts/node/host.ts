// The Node host: net.Socket, tls.TLSSocket and any stream.Writable as sinks; SendfileFile,
// integer fds and fs.promises.FileHandle as sources; the native sendfile path through the
// addon (or node:ffi), the buffered path through fs.read into the core's slots. Bun runs this
// host too (it speaks Node).
//
// Invariants:
// - Every write gets a copy, and the slot goes back to the core as write() returns: Node keeps
//   a reference to a queued chunk until the peer drains it (libuv's queue, the Writable's
//   buffer, a TLS socket still handshaking), so writing a slot view would let a peer that stops
//   reading pin slots every other transfer waits for. A socket's copy comes from a free list and
//   returns to it in the write callback, when Node holds it no more (fresh buffers would cost
//   page faults per chunk); a generic Writable gets a buffer of its own, since it may pass the
//   very object on to a reader.
// - sendfile runs only on a plain net.Socket with a real fd, and only while Node's own write
//   queue is empty; otherwise the driver sees AGAIN and the next piece goes through
//   socket.write, whose callback says the queue drained. No second poll watcher, ever.
// - An off-thread sendfile that finds no descriptor for its dup (EMFILE, ENFILE) does its piece
//   on the JS thread instead, bounded like the first call: running out of descriptors never
//   fails a transfer that needs none.
// - Errors a socket emits during a transfer reject the transfer instead of crashing the
//   process. The listener goes when the transfer ends, one tick late after a failure on a
//   destroyed socket (Node emits destroy()'s error on the next tick), so none accumulate.
// - Nothing of a transfer stays on the socket after it settles: the listeners for a connect
//   that an abort cut short go too.

import { fstatSync, read as fsRead } from 'node:fs';
import { Socket } from 'node:net';
import { Writable } from 'node:stream';
import { TLSSocket } from 'node:tls';
import { inspect } from 'node:util';
import type { Capabilities, Host, HostSink, HostSource, NativeChoice, SourceInfo } from '../api.js';
import type { Core } from '../core.js';
import { AGAIN } from '../driver.js';
import { DEFAULT_SYNC_LIMIT } from '../../wasm/abi.js';
import { ErrorCodes, codedError } from '../errors.js';
import { SendfileFile } from './file.js';
import { type FileType, type NativeBackend, fileType, loadNativeBackend } from './backend.js';
import { E, errnoError } from './errno.js';

type SinkKind = 'socket' | 'tls' | 'writable';

interface SocketInternals { _handle?: { fd?: number } | null; pending?: boolean; connecting?: boolean }

// How long one off-thread sendfile may wait for a full socket to drain before coming back to
// JS (which then writes the next piece through socket.write): it holds a pool thread that long.
const ASYNC_WAIT_MS = 50;
const MAX_FD = 2 ** 31 - 1;

/** Reusable copy buffers for socket writes; at most KEEP spares are kept (a few MiB). */
class CopyPool {
  static readonly KEEP = 32;
  #free: Buffer[] = [];

  take(n: number): Buffer {
    const b = this.#free.pop();
    if (b && b.length >= n) return b;
    return Buffer.allocUnsafeSlow(Math.max(n, b?.length ?? 0));
  }

  give(b: Buffer): void {
    if (this.#free.length < CopyPool.KEEP) this.#free.push(b);
  }
}
const copies = new CopyPool();

export class NodeSink implements HostSink {
  readonly key: object;
  readonly kind: SinkKind;
  readonly stream: Writable;
  #errorListener: ((err: unknown) => void) | null = null;
  #error: unknown;
  #cancel: Int32Array | null = null; // read by an off-thread sendfile: 1 = stop soon
  #stopWaiting: (() => void) | null = null; // detaches the listeners of a connect being waited for
  readonly #onClose = (): void => this.cancelNative();

  constructor(stream: Writable, kind: SinkKind) {
    this.stream = stream;
    this.key = stream;
    this.kind = kind;
  }

  /** The socket's fd, or -1 (not a plain socket, not connected, destroyed). */
  get fd(): number {
    if (this.kind !== 'socket') return -1;
    const fd = (this.stream as unknown as SocketInternals)._handle?.fd;
    return typeof fd === 'number' ? fd : -1;
  }

  ready(): void | Promise<void> {
    const s = this.stream;
    if (s.destroyed) throw codedError(ErrorCodes.STREAM_DESTROYED, 'the socket was destroyed');
    if (s.writableEnded) throw codedError(ErrorCodes.WRITE_AFTER_END, 'the socket was ended');
    this.#errorListener = (err) => { if (this.#error === undefined) this.#error = err; };
    s.on('error', this.#errorListener);
    if (this.kind === 'writable') return;
    const sock = s as unknown as SocketInternals & Socket;
    if (sock.connecting) return this.#connected(sock);
    if (!sock._handle) throw errnoError(E.ENOTCONN, 'sendfile', 'socket is not connected');
  }

  #connected(sock: Socket): Promise<void> {
    return new Promise((resolve, reject) => {
      const detach = (): void => {
        this.#stopWaiting = null;
        sock.off('connect', onConnect);
        sock.off('error', onError);
        sock.off('close', onClose);
      };
      const done = (err?: unknown): void => {
        detach();
        if (err) reject(err); else resolve();
      };
      this.#stopWaiting = detach;
      const onConnect = (): void => done();
      const onError = (err: unknown): void => done(err);
      const onClose = (): void => done(this.#error ?? errnoError(E.ENOTCONN, 'sendfile', 'socket closed before it connected'));
      sock.once('connect', onConnect);
      sock.once('error', onError);
      sock.once('close', onClose);
    });
  }

  write(chunk: Uint8Array, done: (err: unknown) => void): boolean {
    const s = this.stream;
    if (s.destroyed) {
      queueMicrotask(() => done(this.failure()));
      return false;
    }
    const pooled = this.kind !== 'writable';
    const copy = pooled ? copies.take(chunk.length) : Buffer.from(chunk);
    if (pooled) copy.set(chunk);
    s.write(pooled ? copy.subarray(0, chunk.length) : copy, (err?: Error | null) => {
      if (pooled) copies.give(copy);
      // Node reports a write that was cut short by destroy() as a success (a cancelled libuv
      // write on a destroyed stream calls back with no error): such bytes cannot count as sent.
      if (!err && s.destroyed) done(this.failure());
      else done(err ?? null);
    });
    return true;
  }

  /**
   * The socket's own error if it has one (ECONNRESET, the argument of destroy(err)), else
   * `otherwise` (what our own syscall saw), else a generic one.
   */
  failure(otherwise?: Error | null): unknown {
    return (this.stream as Writable & { errored?: unknown }).errored ?? this.#error ?? otherwise ?? destroyedError();
  }

  /** The flag an off-thread sendfile watches; set when the socket closes or on abort. */
  cancelCell(): Int32Array {
    if (!this.#cancel) {
      this.#cancel = new Int32Array(1);
      this.stream.once('close', this.#onClose);
    }
    return this.#cancel;
  }

  cancelNative(): void {
    if (this.#cancel) this.#cancel[0] = 1;
  }

  end(failed: boolean): void {
    this.#stopWaiting?.();
    const s = this.stream;
    const listener = this.#errorListener;
    this.#errorListener = null;
    if (listener) {
      if (failed && s.destroyed) setImmediate(() => s.off('error', listener));
      else s.off('error', listener);
    }
    if (this.#cancel) s.off('close', this.#onClose);
  }
}

export class NodeSource implements HostSource {
  readonly file: unknown;
  readonly fd: number;
  #type: FileType = 'other';

  constructor(file: unknown, fd: number, private readonly native: NativeBackend | null) {
    this.file = file;
    this.fd = fd;
  }

  get regular(): boolean { return this.#type === 'file'; }

  examine(): SourceInfo {
    const fd = this.fd;
    // A number no descriptor can have (above 2^31 - 1) is as bad as a closed one.
    if (fd < 0 || fd > MAX_FD) throw errnoError(E.EBADF, 'fstat');
    let size: number;
    // The addon's fstat fills two numbers: no Stats object on the per-file hot path. A backend
    // without it (the ENOSYS variant) leaves the job to Node.
    const rc = this.native ? this.native.fstat(fd, statScratch) : -E.ENOSYS;
    if (rc === 0) {
      size = statScratch[0];
      this.#type = fileType(statScratch[1]);
    } else if (rc !== -E.ENOSYS) {
      throw errnoError(-rc, 'fstat');
    } else {
      const st = fstatSync(fd); // throws EBADF with its code
      size = st.size;
      this.#type = fileType(st.mode);
    }
    if (this.#type === 'directory') throw errnoError(E.EISDIR, 'read', 'illegal operation on a directory');
    const sequential = this.#type === 'fifo' || this.#type === 'socket' || this.#type === 'char';
    return { size: sequential ? -1 : size, sequential };
  }

  read(into: Uint8Array, position: number, length: number, done: (err: unknown, n: number) => void): void {
    fsRead(this.fd, into, 0, length, this.#type === 'file' ? position : null, (err, n) => done(err, n));
  }

  commit(position: number): void {
    if (SendfileFile.is(this.file)) { this.file.seek(position); return; }
    // Integer fds and FileHandles have only the OS position; Node cannot lseek without help.
    if (this.native && this.#type === 'file') this.native.lseek(this.fd, position);
  }
}

const statScratch = new Float64Array(2);

function destroyedError(): Error {
  return codedError(ErrorCodes.STREAM_DESTROYED, 'the socket was destroyed during the transfer');
}

function isFileHandle(v: unknown): v is { fd: number } {
  return typeof v === 'object' && v !== null && (v as { constructor?: { name?: string } }).constructor?.name === 'FileHandle'
    && typeof (v as { fd?: unknown }).fd === 'number';
}

function isWritable(v: unknown): v is Writable {
  if (v instanceof Writable) return true;
  // A Writable from another copy of the stream module (a bundler, Bun): duck-type it.
  return typeof v === 'object' && v !== null && typeof (v as Writable).write === 'function'
    && typeof (v as Writable).once === 'function' && 'writableLength' in (v as object);
}

// Deno runs this entry through its Node compatibility layer, whose sockets have no fd.
function loadFor(g: typeof globalThis): ReturnType<typeof loadNativeBackend> {
  if ('Deno' in g) return { backend: null, reason: 'Deno exposes no socket file descriptor: buffered path only' };
  return loadNativeBackend();
}

export interface NodeHostOptions {
  loadCore(): Core;
}

export function createNodeHost({ loadCore }: NodeHostOptions): Host<NodeSink, NodeSource> & { nativeBackend(): NativeBackend | null } {
  let loaded: ReturnType<typeof loadNativeBackend> | undefined;
  const native = (): ReturnType<typeof loadNativeBackend> => (loaded ??= loadFor(globalThis));

  return {
    inspect,
    core: loadCore,
    nativeBackend: () => native().backend,
    sink(sock) {
      if (!isWritable(sock)) return null;
      const kind: SinkKind = sock instanceof TLSSocket ? 'tls' : sock instanceof Socket ? 'socket' : 'writable';
      return new NodeSink(sock, kind);
    },
    source(file) {
      const backend = native().backend;
      if (SendfileFile.is(file)) return new NodeSource(file, file.fd, backend);
      if (typeof file === 'number' && Number.isInteger(file)) return new NodeSource(file, file, backend);
      if (isFileHandle(file)) return new NodeSource(file, file.fd, backend);
      return null;
    },
    fileKindMessage(file) {
      return `file must be a SendfileFile (from openFile), an integer file descriptor or a fs.promises.FileHandle (got ${inspect(file)})`;
    },
    native(sink, source, info): NativeChoice {
      const { backend, reason } = native();
      if (!backend) return { reason: reason ?? 'no native backend' };
      if (sink.kind === 'tls') return { reason: 'TLS sockets encrypt in user space: bytes must pass through the TLS engine' };
      if (sink.kind !== 'socket') return { reason: 'the sink is not a net.Socket' };
      if (!source.regular || info.sequential) return { reason: 'the file is not a regular file' };
      const sockFd = sink.fd;
      if (sockFd < 0) return { reason: 'the socket has no file descriptor' };
      const fileFd = source.fd;
      const stream = sink.stream;
      // lateError: the rule for an error that ended an off-thread sendfile after it moved bytes
      // (the backends' `late`). The kernel reports a socket error such as ECONNRESET once, so the
      // next call would only see EPIPE, or nothing if Node's reader took it: the bytes are
      // reported first, and the next call fails with this error.
      let lateError: Error | null = null;
      const sendfile = (offset: number, length: number): number => {
        // A destroyed socket's fd number may already belong to a new socket or file. When
        // Node saw the socket's error first (a read), our sendfile got only EPIPE.
        if (sink.fd !== sockFd || lateError) throw sink.failure(lateError);
        // Only with Node's queue empty: otherwise earlier writes would be overtaken.
        if (stream.writableLength > 0) return AGAIN;
        const r = backend.sendfile(sockFd, fileFd, offset, length);
        if (r >= 0) return r;
        if (r === -E.EAGAIN) return AGAIN;
        throw errnoError(-r, 'sendfile');
      };
      // No descriptor left for an off-thread call's dup (EMFILE, ENFILE): the piece goes on the
      // JS thread, bounded like the first call, rather than failing a transfer that needs none.
      const onThread = (offset: number, length: number, done: (err: unknown, n: number) => void): void => {
        let n = 0;
        try { n = sendfile(offset, Math.min(length, DEFAULT_SYNC_LIMIT)); } catch (err) { done(err, 0); return; }
        done(null, n);
      };
      return {
        io: {
          sendfile,
          sendfileAsync(offset, length, done) {
            if (sink.fd !== sockFd || lateError) { queueMicrotask(() => done(sink.failure(lateError), 0)); return; }
            if (stream.writableLength > 0) { queueMicrotask(() => done(null, AGAIN)); return; }
            // The addon dup()s both fds before leaving the thread, so a destroy() now is safe.
            // The worker waits for writability on its dup for up to ASYNC_WAIT_MS instead of
            // coming back at the first EAGAIN; a close or an abort cuts that short.
            const queued = backend.sendfileAsync(sockFd, fileFd, offset, length, (r: number, lateErrno: number) => {
              if (r > 0 && lateErrno < 0) lateError = errnoError(-lateErrno, 'sendfile');
              if (r === -E.EMFILE || r === -E.ENFILE) onThread(offset, length, done);
              else if (r >= 0) done(null, r);
              else if (r === -E.EAGAIN || r === -E.ECANCELED) done(null, AGAIN);
              else done(errnoError(-r, 'sendfile'), 0);
            }, sink.cancelCell(), ASYNC_WAIT_MS);
            if (queued < 0) queueMicrotask(() => done(errnoError(-queued, 'sendfile'), 0));
          },
          cancel: () => sink.cancelNative(),
        },
      };
    },
    capabilities(): Capabilities {
      const { backend, reason } = native();
      return backend ? { native: true, backend: backend.name } : { native: false, backend: null, reason: reason ?? 'no native backend' };
    },
  };
}
