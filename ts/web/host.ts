// The Web-streams host, for Deno, workerd and browsers (and Node through the `./web` entry):
// a WritableStream as the sink; a Blob/File, a byte ReadableStream or a Deno FsFile as the
// source. Buffered only: these runtimes give no socket descriptor, so there is no sendfile.
//
// Invariants:
// - Imports nothing from `node:*` and nothing from ts/node/: it must bundle for runtimes that
//   have neither. Deno's FsFile and workerd's sockets are duck-typed, so no runtime types leak in.
// - Every chunk handed to the WritableStream is a fresh Uint8Array the stream owns: a web sink
//   may keep the very object after its write promise settles. The copy is made as write()
//   returns, which hands the slot back to the core at once (a stalled stream pins no slot).
// - Writes go through one writer, in order, and the next one waits for `writer.ready` while
//   `desiredSize <= 0` and a write of ours is still in flight. `done` is called when the stream's write promise settles, so bytesSent
//   counts bytes the sink accepted, not bytes queued.
// - A chunk the core handed over is never dropped: when the transfer ends (abort, failure) the
//   chunks still waiting for `ready` are written before the lock is released, because the core
//   already counted them as committed (they go out in order, ahead of the caller's next write).
// - The writer's lock is released when the transfer ends, so the caller can keep writing. A
//   ReadableStream source is locked only for the length of one read, so it is unlocked
//   whenever the transfer is not reading, including after it settles.
// - A byte stream (type: 'bytes') is read with a BYOB reader sized to what the core asked for,
//   so a `count` never consumes bytes past the slice. Any other stream of Uint8Array chunks is
//   read with a default reader; bytes of its last chunk beyond `count` are lost with the reader.
// - A Deno FsFile keeps the position rule of the Node SendfileFile: offset + bytesSent after a
//   transfer that sent bytes, the position it had before when nothing was sent.

import type { Capabilities, Host, HostSink, HostSource, NativeChoice, SourceInfo } from '../api.js';
import type { Core } from '../core.js';
import { ErrorCodes, codedError, typeError } from '../errors.js';
import { basicInspect, repr } from '../validate.js';

/** Why the web host never has a native path; capabilities() and SendfileNotAvailableError say it. */
export const WEB_NO_NATIVE_REASON = 'web runtimes expose no socket descriptor: the Web-streams host sends through buffers only';

/** The largest read a byte-stream skip asks for at once: bounds the scratch buffer. */
const SKIP_CHUNK = 64 * 1024;

const SEEK_START = 0, SEEK_CURRENT = 1;

interface WriteRequest { chunk: Uint8Array; done: (err: unknown) => void }

function isWritableStream(v: unknown): v is WritableStream<Uint8Array> {
  if (typeof WritableStream !== 'undefined' && v instanceof WritableStream) return true;
  // A stream from another realm or polyfill: the shape is what matters.
  return typeof v === 'object' && v !== null && typeof (v as WritableStream).getWriter === 'function'
    && typeof (v as WritableStream).locked === 'boolean' && typeof (v as WritableStream).abort === 'function';
}

function isBlob(v: unknown): v is Blob {
  if (typeof Blob !== 'undefined' && v instanceof Blob) return true;
  return typeof v === 'object' && v !== null && typeof (v as Blob).slice === 'function'
    && typeof (v as Blob).arrayBuffer === 'function' && typeof (v as Blob).size === 'number';
}

function isReadableStream(v: unknown): v is ReadableStream<unknown> {
  if (typeof ReadableStream !== 'undefined' && v instanceof ReadableStream) return true;
  return typeof v === 'object' && v !== null && typeof (v as ReadableStream).getReader === 'function'
    && typeof (v as ReadableStream).locked === 'boolean';
}

/** The part of Deno.FsFile this host uses (Deno 2: no `rid`; seek and read are methods). */
export interface FsFileLike {
  read(p: Uint8Array): Promise<number | null>;
  seek(offset: number | bigint, whence: number): Promise<number>;
  stat(): Promise<{ size: number; isFile: boolean; isDirectory: boolean }>;
}

function isFsFile(v: unknown): v is FsFileLike {
  return typeof v === 'object' && v !== null && typeof (v as FsFileLike).read === 'function'
    && typeof (v as FsFileLike).seek === 'function' && typeof (v as FsFileLike).stat === 'function';
}

/** Deno reports a closed file as BadResource without an errno name: give it the one the contract uses. */
function denoError(err: unknown): unknown {
  if (err !== null && typeof err === 'object' && (err as { code?: unknown }).code === undefined) {
    const name = (err as { name?: unknown }).name;
    const code = name === 'BadResource' ? 'EBADF' : name === 'NotFound' ? 'ENOENT' : name === 'PermissionDenied' ? 'EACCES' : undefined;
    if (code) { try { Object.assign(err, { code }); } catch { /* frozen */ } }
  }
  return err;
}

/** Whether `p` has settled already, without waiting for it: the reaction to a settled promise
 *  is queued at once, so it runs before the one queued just after it (ECMAScript job order). */
function settledAlready(p: Promise<unknown>): Promise<boolean> {
  return Promise.race([p.then(() => true, () => true), Promise.resolve().then(() => false)]);
}

/** A WritableStream written through one writer for the length of one transfer. */
export class WebSink implements HostSink {
  readonly key: object;
  readonly stream: WritableStream<Uint8Array>;
  #writer: WritableStreamDefaultWriter<Uint8Array> | null = null;
  #waiting: WriteRequest[] = [];
  #pumping = false;
  #last: Promise<void> | null = null; // our latest write while it is in flight

  constructor(stream: WritableStream<Uint8Array>) {
    this.stream = stream;
    this.key = stream;
  }

  async ready(): Promise<void> {
    if (this.stream.locked) {
      throw codedError(ErrorCodes.INVALID_STATE, 'the WritableStream is locked: release its writer before sockSendfile');
    }
    const writer = this.stream.getWriter();
    this.#writer = writer;
    // closed rejects when the stream errors and when we release the lock: the writes see the
    // error themselves, so this only keeps the rejection from being reported as unhandled.
    writer.closed.catch(() => {});
    // null: errored or erroring. The stored error is what closed rejects with.
    if (writer.desiredSize === null) await writer.closed;
    // 0 is a full stream or a closed one; writing to a closed one trips an internal assertion
    // in Node 20 instead of the spec's TypeError, so it is refused here.
    if (writer.desiredSize === 0 && await settledAlready(writer.closed)) {
      throw Object.assign(new TypeError('the WritableStream is closed'), { code: ErrorCodes.INVALID_STATE });
    }
  }

  write(chunk: Uint8Array, done: (err: unknown) => void): boolean {
    const writer = this.#writer;
    if (!writer) {
      queueMicrotask(() => done(codedError(ErrorCodes.INVALID_STATE, 'the transfer has ended')));
      return false;
    }
    // A copy: a stream may hold a chunk for as long as its consumer likes (and may transfer
    // its buffer), so the slot goes back to the core now.
    this.#waiting.push({ chunk: chunk.slice(), done });
    void this.#pump(writer);
    return true;
  }

  // Hands waiting chunks to the writer in order, each once the stream has room for it.
  async #pump(writer: WritableStreamDefaultWriter<Uint8Array>): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#waiting.length > 0) {
        const room = writer.desiredSize;
        // Wait only while one of our writes is in flight: a stream with no room and nothing
        // queued (highWaterMark 0) makes room only by being written to, so waiting for ready
        // then would never end.
        if (room !== null && room <= 0 && this.#last) {
          // An errored stream rejects ready; the next write then rejects with its error.
          try { await Promise.race([writer.ready, this.#last]); } catch { /* see above */ }
          if (this.#writer !== writer) return; // released meanwhile: end() wrote what waited
          continue;
        }
        this.#send(writer, this.#waiting.shift()!);
      }
    } finally {
      this.#pumping = false;
    }
  }

  #send(writer: WritableStreamDefaultWriter<Uint8Array>, { chunk, done }: WriteRequest): void {
    let p: Promise<void>;
    try {
      p = writer.write(chunk);
    } catch (err) { // a writer whose lock was released throws in some implementations
      queueMicrotask(() => done(err));
      return;
    }
    this.#last = p;
    // Registered before anyone races on #last, so #last is cleared by the time they wake.
    p.then(() => {
      if (this.#last === p) this.#last = null;
      done(null);
    }, (err: unknown) => {
      if (this.#last === p) this.#last = null;
      done(err ?? new Error('the WritableStream rejected a write'));
    });
  }

  end(): void {
    const writer = this.#writer;
    this.#writer = null;
    if (!writer) return;
    const waiting = this.#waiting.splice(0);
    for (const req of waiting) this.#send(writer, req);
    writer.releaseLock();
  }
}

/** A Blob or File: random access through slices, so offset and count cost nothing extra. */
export class BlobSource implements HostSource {
  constructor(readonly blob: Blob) {}

  examine(): SourceInfo {
    return { size: this.blob.size, sequential: false };
  }

  read(into: Uint8Array, position: number, length: number, done: (err: unknown, n: number) => void): void {
    let p: Promise<ArrayBuffer>;
    try {
      p = this.blob.slice(position, position + length).arrayBuffer();
    } catch (err) {
      queueMicrotask(() => done(err, 0));
      return;
    }
    p.then((ab) => {
      const n = Math.min(ab.byteLength, length);
      into.set(new Uint8Array(ab, 0, n));
      done(null, n);
    }, (err: unknown) => done(err, 0));
  }

  commit(): void { /* a Blob has no position */ }
}

/** A ReadableStream of bytes: sequential, an offset skips that many bytes. */
export class StreamSource implements HostSource {
  #byob: boolean | undefined;
  #scratch: ArrayBuffer | null = null;
  #rest: Uint8Array | null = null; // a default reader's chunk beyond what the core asked for

  constructor(readonly stream: ReadableStream<unknown>) {}

  examine(): SourceInfo {
    if (this.stream.locked) {
      throw codedError(ErrorCodes.INVALID_STATE, 'the ReadableStream is locked: release its reader before sockSendfile');
    }
    return { size: -1, sequential: true };
  }

  read(into: Uint8Array, _position: number, length: number, done: (err: unknown, n: number) => void): void {
    this.#pull(length).then((bytes) => {
      into.set(bytes);
      done(null, bytes.byteLength);
    }, (err: unknown) => done(err, 0));
  }

  async skip(bytes: number): Promise<number> {
    let skipped = 0;
    while (skipped < bytes) {
      const got = await this.#pull(Math.min(bytes - skipped, SKIP_CHUNK));
      if (got.byteLength === 0) break;
      skipped += got.byteLength;
    }
    return skipped;
  }

  commit(): void { /* what was read is gone: the stream's "position" moved by itself */ }

  /** Up to `max` bytes (at least one unless at EOF). */
  async #pull(max: number): Promise<Uint8Array> {
    if (this.#rest) {
      const rest = this.#rest;
      const n = Math.min(rest.byteLength, max);
      this.#rest = n < rest.byteLength ? rest.subarray(n) : null;
      return rest.subarray(0, n);
    }
    if (this.#byob !== false) {
      let reader: ReadableStreamBYOBReader | undefined;
      try {
        reader = (this.stream as ReadableStream<Uint8Array>).getReader({ mode: 'byob' });
        this.#byob = true;
      } catch (err) {
        if (this.#byob === true) throw err; // it was a byte stream a moment ago: locked by someone else
        this.#byob = false;
      }
      if (reader) {
        try {
          let buf = this.#scratch;
          if (!buf || buf.byteLength < max) buf = new ArrayBuffer(max);
          this.#scratch = null; // transferred by read(): never reuse the old one
          const r = await reader.read(new Uint8Array(buf, 0, max));
          if (r.value) this.#scratch = r.value.buffer as ArrayBuffer;
          return r.done || !r.value ? new Uint8Array(0) : r.value;
        } finally {
          reader.releaseLock();
        }
      }
    }
    const reader = this.stream.getReader();
    try {
      for (;;) {
        const r = await reader.read();
        if (r.done) return new Uint8Array(0);
        const chunk = toBytes(r.value);
        if (chunk.byteLength === 0) continue; // an empty chunk is not EOF
        if (chunk.byteLength > max) this.#rest = chunk.subarray(max);
        return chunk.byteLength > max ? chunk.subarray(0, max) : chunk;
      }
    } finally {
      reader.releaseLock();
    }
  }
}

function toBytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  throw typeError(`the ReadableStream gave a chunk that is not bytes (got ${repr(v, basicInspect)}): pass a stream of Uint8Array`);
}

/** A Deno FsFile: seek + read into the core's slot directly (Deno copies into the view). */
export class FsFileSource implements HostSource {
  #start = -1;      // the position before the transfer, restored when nothing was sent
  #at = -1;         // where the file's position is now, as far as our reads moved it
  #committed = false;
  #sequential = false;
  #busy: Promise<unknown> = Promise.resolve();

  constructor(readonly file: FsFileLike) {}

  async examine(): Promise<SourceInfo> {
    try {
      const st = await this.file.stat();
      if (st.isDirectory) throw codedError(ErrorCodes.IS_DIRECTORY, 'illegal operation on a directory');
      this.#sequential = !st.isFile;
      if (!this.#sequential) {
        this.#start = await this.file.seek(0, SEEK_CURRENT);
        this.#at = this.#start;
      }
      return { size: this.#sequential ? -1 : st.size, sequential: this.#sequential };
    } catch (err) {
      throw denoError(err);
    }
  }

  read(into: Uint8Array, position: number, length: number, done: (err: unknown, n: number) => void): void {
    // The core has one read in flight at a time; the chain only orders reads before the
    // position fix-ups that follow them.
    this.#busy = this.#busy.then(async () => {
      if (!this.#sequential && position !== this.#at) {
        this.#at = -1;
        await this.file.seek(position, SEEK_START);
        this.#at = position;
      }
      const n = (await this.file.read(into.subarray(0, length))) ?? 0;
      if (this.#at >= 0) this.#at += n;
      return n;
    }).then((n) => done(null, n), (err: unknown) => { this.#at = -1; done(denoError(err), 0); });
  }

  commit(position: number): void {
    this.#committed = true;
    this.#moveTo(position);
  }

  /** Resolves once the last read and the position fix-up are done (never rejects). */
  end(): Promise<void> {
    if (!this.#committed && this.#start >= 0) this.#moveTo(this.#start);
    return this.#busy.then(() => {}, () => {});
  }

  #moveTo(position: number): void {
    if (this.#sequential) return;
    const file = this.file;
    // After any read still in flight (an abort does not wait for it): its read moves the
    // position, so the fix-up must come after it. The transfer settles after this (end()).
    this.#busy = this.#busy.then(() => (position === this.#at ? position : file.seek(position, SEEK_START))).then(() => { this.#at = position; }, () => { this.#at = -1; });
  }
}

export interface WebHostOptions {
  loadCore(): Core;
}

export type WebSource = BlobSource | StreamSource | FsFileSource;

/** The Web-streams host over a core loader; each web entry supplies its own loader. */
export function createWebHost({ loadCore }: WebHostOptions): Host<WebSink, WebSource> {
  return {
    inspect: basicInspect,
    core: loadCore,
    sink(sock: unknown): WebSink | null {
      return isWritableStream(sock) ? new WebSink(sock) : null;
    },
    source(file: unknown): WebSource | null {
      if (isBlob(file)) return new BlobSource(file);
      if (isFsFile(file)) return new FsFileSource(file);
      if (isReadableStream(file)) return new StreamSource(file);
      return null;
    },
    fileKindMessage(file: unknown): string {
      return `file must be a Blob or File, a ReadableStream of bytes or a Deno.FsFile (got ${repr(file, basicInspect)})`;
    },
    native(): NativeChoice {
      return { reason: WEB_NO_NATIVE_REASON };
    },
    capabilities(): Capabilities {
      return { native: false, backend: null, reason: WEB_NO_NATIVE_REASON };
    },
  };
}
