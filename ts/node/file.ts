// SendfileFile: a read-only file descriptor that tracks its own position, so the position rule
// (offset + bytesSent after every transfer) holds without OS-level lseek, which Node lacks.
//
// Invariants: position() is a non-negative safe integer; after close() the fd is -1 and every
// transfer on it fails with EBADF at its first I/O.

import { open as openCb, close as closeCb } from 'node:fs';
import { promisify } from 'node:util';
import { rangeError, typeError } from '../errors.js';
import { repr } from '../validate.js';
import { inspect } from 'node:util';

const openAsync = promisify(openCb);
const closeAsync = promisify(closeCb);
const BRAND = Symbol.for('sock-sendfile.SendfileFile');

export class SendfileFile {
  #fd: number;
  #pos = 0;
  /** The path it was opened from, for messages. */
  readonly path: string;

  constructor(fd: number, path = `fd ${fd}`) {
    this.#fd = fd;
    this.path = path;
    (this as Record<symbol, unknown>)[BRAND] = true;
  }

  /** The descriptor, or -1 once closed. */
  get fd(): number { return this.#fd; }

  /** The position: offset + bytesSent of the last transfer that sent bytes, or what seek() set.
   *  Like CPython's file position after sock_sendfile; a transfer still starts at its `offset`. */
  tell(): number { return this.#pos; }

  /** Sets the position; returns it. */
  seek(position: number | bigint): number {
    if (typeof position === 'bigint') position = Number(position);
    if (typeof position !== 'number' || !Number.isInteger(position)) {
      throw typeError(`position must be a non-negative integer (got ${repr(position, inspect)})`);
    }
    if (position < 0 || position > Number.MAX_SAFE_INTEGER) {
      throw rangeError(`position must be a non-negative integer (got ${repr(position, inspect)})`);
    }
    this.#pos = position;
    return position;
  }

  async close(): Promise<void> {
    const fd = this.#fd;
    if (fd < 0) return;
    this.#fd = -1;
    await closeAsync(fd);
  }

  static is(v: unknown): v is SendfileFile {
    return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[BRAND] === true;
  }
}

/** Opens a file for reading, for use as sockSendfile's `file`. */
export async function openFile(path: string | URL): Promise<SendfileFile> {
  if (typeof path !== 'string' && !(path instanceof URL)) {
    throw typeError(`path must be a string or a URL (got ${repr(path, inspect)})`);
  }
  const fd = await openAsync(path, 'r');
  return new SendfileFile(fd, String(path));
}
