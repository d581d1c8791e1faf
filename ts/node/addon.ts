// Finds the native syscall backend for Node and Bun: the N-API addon built by native/build.sh, or
// (opt-in) the node:ffi backend of Node 26+. Only the Node host imports this.
//
// Invariants: loading never throws; every failure is a null backend with a one-line reason that
// capabilities() can show. SOCK_SENDFILE_NATIVE is read on each call, so a test can flip it.
// node:ffi is required only under SOCK_SENDFILE_NATIVE=ffi (inside loadFfiBackend): loading it
// prints an ExperimentalWarning, which a library must not do unasked.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
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
   * negative errno that ended a call after bytes moved (ECONNRESET, EPIPE, ...), else 0. The
   * kernel reports such a socket error once, so the next call would not see it. The callback is
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
   * Writes [size, kind] into `out` (a Float64Array of length >= 2); kind is one of
   * {@link FileKind}. 0 or a negative errno.
   */
  fstat(fd: number, out: Float64Array): number;
  /** posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED): 0 or a negative errno. */
  fadviseDontneed(fd: number): number;
  /** The errno's name ('EAGAIN') for either sign of it; 'ERRNO_<n>' when the platform has none. */
  errname(errno: number): string;
}

/** The kinds fstat writes in out[1]. */
export const FileKind = {
  OTHER: 0, FILE: 1, DIRECTORY: 2, FIFO: 3, SOCKET: 4, CHAR_DEVICE: 5, BLOCK_DEVICE: 6,
} as const;

export interface NativeLoadResult {
  backend: NativeBackend | null;
  /** Why backend is null, or (when not null) nothing. */
  reason?: string;
}

/** What the addon exports: the backend's functions plus its name as `backend`. */
type AddonExports = Omit<NativeBackend, 'name'> & { backend: string };

const requireNative = createRequire(import.meta.url);

/**
 * The addon beside the bundle: dist/native/<platform>-<arch>/. A bundle split into chunks runs
 * this module from dist/chunks/, hence the second candidate.
 */
function addonPath(file: string): string | null {
  const dir = `native/${process.platform}-${process.arch}/${file}`;
  for (const base of ['./', '../']) {
    const path = fileURLToPath(new URL(base + dir, import.meta.url));
    if (existsSync(path)) return path;
  }
  return null;
}

function loadAddon(file: string): NativeLoadResult {
  const path = addonPath(file);
  if (!path) {
    return { backend: null, reason: `native addon not built (no native/${process.platform}-${process.arch}/${file} beside the bundle)` };
  }
  let m: AddonExports;
  try {
    m = requireNative(path) as AddonExports;
  } catch (err) {
    return { backend: null, reason: `native addon failed to load: ${firstLine(err)}` };
  }
  if (typeof m?.sendfile !== 'function' || typeof m.backend !== 'string') {
    return { backend: null, reason: `native addon at ${path} is not this project's` };
  }
  // The addon's own functions, unwrapped: the hot path pays for no extra JS frame.
  return {
    backend: {
      name: m.backend,
      sendfile: m.sendfile,
      sendfileAsync: m.sendfileAsync,
      lseek: m.lseek,
      fstat: m.fstat,
      fadviseDontneed: m.fadviseDontneed,
      errname: m.errname,
    },
  };
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n', 1)[0] ?? msg;
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
