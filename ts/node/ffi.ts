// The NativeBackend over Node 26+'s experimental node:ffi, calling libc directly: no compiled
// addon needed. Opt-in only (SOCK_SENDFILE_NATIVE=ffi), Linux only (glibc or musl).
//
// Invariants: the same results as the addon for the same inputs (bytes or a negative errno, never
// a throw). Differences, by necessity:
// - errno is read from libc's thread-local slot (__errno_location) right after a call returns -1;
//   nothing runs in between but the FFI return path, which does not set errno on success paths.
// - sendfileAsync runs on the JS thread (node:ffi has no worker-thread calls) and calls back on a
//   microtask; it works on the caller's fds, so there is no window in which they could be closed.
//   It never waits for a full socket (that would block the JS thread), so it ignores `maxWaitMs`
//   and returns at the first EAGAIN, as the addon does with maxWaitMs 0. JS cannot set `cancel`
//   while the call runs, so only a flag already set counts (-ECANCELED, as the addon says).
// - fstat is fs.fstatSync (struct stat's layout differs per architecture).
// - 64-bit arguments are passed as bigints: Node 26.10's fast call path rejects numbers for them.

import { constants as fsConstants, fstatSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { NativeBackend } from './backend.js';
import { E } from './errno.js';

type FfiFunction = (...args: unknown[]) => unknown;
interface FfiModule {
  dlopen(path: string | null, definitions: Record<string, { arguments: string[]; return: string }>):
    { functions: Record<string, FfiFunction> };
  getInt32(pointer: bigint, offset?: number): number;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
// Linux moves at most this much per sendfile; asking for no more keeps the result in an int32.
const CHUNK_MAX = 0x7ffff000;
const POSIX_FADV_DONTNEED = 4; // every Linux ABI Node supports but s390x (6), which has no FFI

/** 0 when fd is a usable descriptor number, else the errno the addon's glue reports. */
function badFd(fd: unknown): number {
  if (typeof fd !== 'number' || !Number.isInteger(fd) || fd < -0x80000000 || fd > 0x7fffffff) return -E.EINVAL;
  return fd < 0 ? -E.EBADF : 0;
}

function badU53(n: unknown): number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= MAX_SAFE ? 0 : -E.EINVAL;
}

/** Loads the backend; throws when node:ffi or a libc symbol is missing (the loader reports it). */
export function loadFfiBackend(): NativeBackend {
  const ffi = createRequire(import.meta.url)('node:ffi') as FfiModule;
  const { functions: libc } = ffi.dlopen(null, {
    // ssize_t comes back as int32: a count never exceeds CHUNK_MAX, and a number return is cheaper.
    sendfile: { arguments: ['int32', 'int32', 'pointer', 'uint64'], return: 'int32' },
    lseek: { arguments: ['int32', 'int64', 'int32'], return: 'int64' },
    posix_fadvise: { arguments: ['int32', 'int64', 'int64', 'int32'], return: 'int32' },
    __errno_location: { arguments: [], return: 'pointer' },
  });
  const sendfileC = libc.sendfile as (out: number, inp: number, off: BigInt64Array, n: bigint) => number;
  const lseekC = libc.lseek as (fd: number, off: bigint, whence: number) => bigint;
  const fadviseC = libc.posix_fadvise as (fd: number, off: bigint, len: bigint, advice: number) => number;
  // The main thread's errno slot never moves; a Worker loads its own copy of this module.
  const errnoPtr = (libc.__errno_location as () => bigint)();
  const errno = (): number => ffi.getInt32(errnoPtr, 0);
  const offBox = new BigInt64Array(1);

  function sendfileOnce(sock: number, file: number, offset: number, length: number): number {
    offBox[0] = BigInt(offset);
    const count = BigInt(Math.min(length, CHUNK_MAX));
    for (;;) {
      const n = sendfileC(sock, file, offBox, count);
      if (n >= 0) return n;
      const e = errno();
      if (e !== E.EINTR) return -e;
    }
  }

  function sendfile(sock: number, file: number, offset: number, length: number): number {
    const bad = badFd(sock) || badFd(file) || badU53(offset) || badU53(length);
    return bad || sendfileOnce(sock, file, offset, length);
  }

  // maxWaitMs is only checked, so that a call the addon would refuse is refused here too.
  function sendfileAsync(sock: number, file: number, offset: number, length: number,
    callback: (result: number, late: number) => void, cancel?: Int32Array, maxWaitMs?: number): number {
    if (typeof callback !== 'function') return -E.EINVAL;
    if (cancel != null && !(cancel instanceof Int32Array && cancel.length >= 1)) return -E.EINVAL;
    if (maxWaitMs != null && !(typeof maxWaitMs === 'number' && Number.isInteger(maxWaitMs) &&
      maxWaitMs >= 0 && maxWaitMs <= 0x7fffffff)) return -E.EINVAL;
    const badArg = badU53(offset) || badU53(length);
    if (badArg) return badArg;
    const bad = badFd(sock) || badFd(file);
    if (bad === -E.EINVAL) return bad;
    let result = bad;
    let late = 0;
    if (!bad && cancel && Atomics.load(cancel, 0) !== 0) result = -E.ECANCELED;
    else if (!bad) {
      let total = 0;
      while (total < length) {
        const n = sendfileOnce(sock, file, offset + total, length - total);
        if (n > 0) { total += n; continue; }
        if (n < 0 && total === 0) total = n;
        else if (n < 0 && n !== -E.EAGAIN) late = n; // as native/linux.c reports it
        break;
      }
      result = total;
    }
    queueMicrotask(() => callback(result, late));
    return 0;
  }

  function lseek(fd: number, offset: number): number {
    const bad = badFd(fd) || badU53(offset);
    if (bad) return bad;
    const r = lseekC(fd, BigInt(offset), 0 /* SEEK_SET */);
    return r < 0n ? -errno() : Number(r);
  }

  function fstat(fd: number, out: Float64Array): number {
    const bad = badFd(fd);
    if (bad) return bad;
    if (!(out instanceof Float64Array) || out.length < 2) return -E.EINVAL;
    let st;
    try {
      st = fstatSync(fd);
    } catch (err) {
      const n = (err as NodeJS.ErrnoException).errno;
      return typeof n === 'number' && n !== 0 ? -Math.abs(n) : -E.EIO;
    }
    out[0] = st.size;
    out[1] = st.mode & fsConstants.S_IFMT;
    return 0;
  }

  function fadviseDontneed(fd: number): number {
    const bad = badFd(fd);
    // posix_fadvise returns the error number itself and leaves errno alone.
    return bad || -fadviseC(fd, 0n, 0n, POSIX_FADV_DONTNEED);
  }

  return { name: 'node-ffi', sendfile, sendfileAsync, lseek, fstat, fadviseDontneed };
}
