// The native syscall backend of the Node host: the contract every backend keeps (the N-API
// addon of native/, loaded by addon.ts; node:ffi on Node 26+, ffi.ts) and the choice of which
// one this process uses. Only the Node host imports this.
//
// Invariants: loading never throws; every failure is a null backend with a one-line reason that
// capabilities() can show. SOCK_SENDFILE_NATIVE is read on each call, so a test can flip it.
// node:ffi is required only under SOCK_SENDFILE_NATIVE=ffi (inside loadFfiBackend): loading it
// prints an ExperimentalWarning, which a library must not do unasked.

import { constants as fsConstants } from 'node:fs';
import { firstLine, loadAddon } from './addon.js';
import { loadFfiBackend } from './ffi.js';

/**
 * The syscall layer. Every number in and out is a JS number; offsets and lengths go up to 2^53 - 1.
 * Results are >= 0 on success and a negative errno on failure; nothing here throws on bad input
 * (an argument of the wrong kind is -EINVAL).
 */
export interface NativeBackend {
  /** 'linux-sendfile' (addon), 'none' (addon, every call -ENOSYS) or 'node-ffi'. */
  readonly name: string;
  /**
   * One non-blocking sendfile(2) from `fileFd` at `offset` (the file's own position is left
   * alone) to `sockFd`: bytes moved, 0 at EOF, -EAGAIN when the socket buffer is full.
   */
  sendfile(sockFd: number, fileFd: number, offset: number, length: number): number;
  /**
   * sendfile repeated up to `length`, off the JS thread (the addon works on dup()s of both fds,
   * so closing the originals meanwhile is safe). On a full socket it does not come back at once:
   * it polls its own dup for writability (never the fd libuv watches) and carries on, for at most
   * `maxWaitMs` of waiting in all during this call (default 50; 0 = return at the first EAGAIN).
   * That keeps the socket busy, where a round trip to JS per socket buffer leaves it idle.
   *
   * `cancel`, if given, is an Int32Array (length >= 1) the worker reads while it runs: set
   * `cancel[0] = 1` (e.g. when the socket is destroyed) and the worker stops before its next
   * sendfile, or within 10 ms of a wait. Keep it alive and its buffer attached until the callback.
   *
   * `callback` gets, once, (result, late): result is the total moved if any bytes moved, else 0
   * at EOF, -ECANCELED, -EAGAIN when the wait ran out, or another negative errno; late is the
   * negative errno that ended a call after bytes moved (ECONNRESET, EPIPE, ...), else 0 (what
   * the host must do with it: ts/node/host.ts, `lateError`). The callback is
   * always called later, never before this returns. Each call
   * holds a libuv pool thread for up to `maxWaitMs`: keep it small when many transfers run.
   * Returns 0 when queued, or a negative errno (and never calls back) when an argument is not of
   * the right kind (`cancel` not an Int32Array, `maxWaitMs` not an integer in [0, 2^31 - 1]).
   * The node:ffi backend runs synchronously: it ignores `maxWaitMs` (never waits) and sees only a
   * `cancel` flag already set when called.
   */
  sendfileAsync(sockFd: number, fileFd: number, offset: number, length: number,
    callback: (result: number, late: number) => void, cancel?: Int32Array, maxWaitMs?: number): number;
  /** lseek(fd, offset, SEEK_SET): the new offset or a negative errno. */
  lseek(fd: number, offset: number): number;
  /**
   * Writes [size, type] into `out` (a Float64Array of length >= 2); type is the file's
   * `st_mode & S_IFMT`, read with {@link fileType}. 0 or a negative errno.
   */
  fstat(fd: number, out: Float64Array): number;
  /** posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED): 0 or a negative errno. */
  fadviseDontneed(fd: number): number;
}

export interface NativeLoadResult {
  backend: NativeBackend | null;
  /** Why backend is null, or (when not null) nothing. */
  reason?: string;
}

/** What a descriptor is, as far as a transfer cares. */
export type FileType = 'file' | 'directory' | 'fifo' | 'socket' | 'char' | 'block' | 'other';

/**
 * The type in a `st_mode` (the addon's fstat, or fs.Stats#mode): the platform's own S_IF*
 * constants are the one source of these numbers on both sides of the addon.
 */
export function fileType(mode: number): FileType {
  const C = fsConstants;
  switch (mode & C.S_IFMT) {
    case C.S_IFREG: return 'file';
    case C.S_IFDIR: return 'directory';
    case C.S_IFIFO: return 'fifo';
    case C.S_IFSOCK: return 'socket';
    case C.S_IFCHR: return 'char';
    case C.S_IFBLK: return 'block';
    default: return 'other';
  }
}

export function loadNativeBackend(): NativeLoadResult {
  const mode = process.env.SOCK_SENDFILE_NATIVE;
  if (mode === '0') return { backend: null, reason: 'disabled by SOCK_SENDFILE_NATIVE=0' };
  // The 'none' variant is built for every platform: a test loads it on purpose.
  if (mode === 'none') return loadAddon('sock_sendfile_none.node');
  if (process.platform !== 'linux') {
    return { backend: null, reason: 'sendfile(2) for sockets is only used on Linux' };
  }
  if (mode === 'ffi') {
    try {
      return { backend: loadFfiBackend() };
    } catch (err) {
      return { backend: null, reason: `node:ffi backend unavailable: ${firstLine(err)}` };
    }
  }
  return loadAddon('sock_sendfile.node');
}
