// sockSendfile itself, runtime-neutral: the validation order of the contract, the one-transfer-
// per-socket guard, the native-or-buffered decision and the file-position rule. A runtime plugs
// in a Host (Node: ts/node/host.ts; web runtimes: ts/web/host.ts) that knows its own sockets,
// files and native path.
//
// Invariants:
// - Every failure is a rejected promise (never a synchronous throw) and carries bytesSent.
// - Checks run in the contract's order: sock kind, file kind, count, offset, then options;
//   nothing touches the socket or the file before all of them pass.
// - A socket carries at most one transfer at a time, across copies of this module (the guard
//   key is a registered symbol on the socket object).
// - After any outcome the source's position is the core's (offset + bytesSent, see
//   wasm/transfer.ts) when bytesSent > 0, and unchanged when it is 0: the driver commits it.

import type { Core, CoreOptions } from './core.js';
import { runTransfer, type TransferIO } from './driver.js';
import {
  AbortError, ErrorCodes, SendfileNotAvailableError, codedError, typeError, withBytesSent,
} from './errors.js';
import { type Inspect, type SendfileOptions, validateCount, validateOffset, validateOptions } from './validate.js';

/** What capabilities() reports. */
export interface Capabilities {
  /** A native (zero-copy) backend is loaded and enabled. */
  native: boolean;
  /** Its name, e.g. 'linux-sendfile', or null. */
  backend: string | null;
  /** Why native is off, when it is. */
  reason?: string;
}

/** What a host learns about a file before the transfer: its first I/O. */
export interface SourceInfo {
  /** Size in bytes, or -1 when unknown (pipes, streams). */
  size: number;
  /** Cannot seek: reads are sequential and only offset 0 is allowed. */
  sequential: boolean;
}

export interface HostSink {
  /** The object the in-progress guard marks (the socket). */
  readonly key: object;
  /** Nothing when the socket can carry data now; a promise when it must be waited for (still
   *  connecting). Throws or rejects if it never will. */
  ready(): void | Promise<void>;
  /** See TransferIO.write: true when the host copied the chunk and the slot may be reused now. */
  write(chunk: Uint8Array, done: (err: unknown) => void): boolean | void;
  /** Called once when the transfer ends, before the promise settles. */
  end?(failed: boolean): void;
}

export interface HostSource {
  /** fstat or equivalent; rejects with the OS error's code (EBADF, EISDIR, ...). */
  examine(): SourceInfo | Promise<SourceInfo>;
  read(into: Uint8Array, position: number, length: number, done: (err: unknown, n: number) => void): void;
  /** Records the new position (offset + bytesSent, as the core computed it) where the source
   *  has one. */
  commit(position: number): void;
  /** Discards bytes from a sequential source (a byte stream, where an offset means "skip");
   *  resolves with how many it could skip (fewer at EOF). Absent: a non-zero offset is ESPIPE. */
  skip?(bytes: number): Promise<number>;
  /** Called once when the transfer ends, after commit() (if any); the promise settles after
   *  it does. A source whose reads move its own position (a Deno FsFile) lets a read still in
   *  flight (after an abort) finish, then leaves the position offset + bytesSent, or puts it
   *  back when nothing was sent. */
  end?(): void | Promise<void>;
}

/** A native path for one pair of socket and file, or the reason there is none. */
export type NativeChoice = { io: Required<Pick<TransferIO, 'sendfile'>> & Pick<TransferIO, 'sendfileAsync' | 'cancel'> } | { reason: string };

export interface Host<Sink extends HostSink = HostSink, Source extends HostSource = HostSource> {
  inspect: Inspect;
  core(): Core;
  /** null: not a socket this runtime accepts. */
  sink(sock: unknown): Sink | null;
  /** null: not a file this runtime accepts. */
  source(file: unknown): Source | null;
  /** The TypeError message for a file of the wrong kind. */
  fileKindMessage(file: unknown): string;
  native(sink: Sink, source: Source, info: SourceInfo): NativeChoice;
  capabilities(): Capabilities;
}

const IN_FLIGHT = Symbol.for('sock-sendfile.inFlight');

// Waiting for a socket to connect must not outlive an abort: a peer that never answers is
// exactly when callers abort.
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new AbortError(signal.reason));
    if (signal.aborted) { onAbort(); return; }
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export type SockSendfile = (
  sock: unknown, file: unknown, offset?: number | bigint, count?: number | bigint | null, options?: SendfileOptions,
) => Promise<number>;

/** Details of the last transfer's path, for `check` and the tests. */
export interface TransferReport { bytesSent: number; nativeBytes: number; path: 'native' | 'buffered' }

export function makeSockSendfile(host: Host): SockSendfile & { withReport: (...a: Parameters<SockSendfile>) => Promise<TransferReport> } {
  async function run(
    sock: unknown, file: unknown, offset: number | bigint = 0, count?: number | bigint | null, options?: SendfileOptions,
  ): Promise<TransferReport> {
    const sink = host.sink(sock);
    if (!sink) throw withBytesSent(typeError('only SOCK_STREAM type sockets are supported'), 0);
    const source = host.source(file);
    if (!source) throw withBytesSent(typeError(host.fileKindMessage(file)), 0);
    let cnt: number, off: number, opts: ReturnType<typeof validateOptions>;
    try {
      cnt = validateCount(count, host.inspect);
      off = validateOffset(offset, host.inspect);
      opts = validateOptions(options, host.inspect);
    } catch (err) {
      throw withBytesSent(err, 0);
    }
    if (opts.signal?.aborted) throw withBytesSent(new AbortError(opts.signal.reason), 0);

    const key = sink.key as Record<symbol, unknown>;
    if (key[IN_FLIGHT]) {
      throw withBytesSent(codedError(ErrorCodes.IN_PROGRESS, 'another sockSendfile transfer is in progress on this socket'), 0);
    }
    key[IN_FLIGHT] = true;
    let failed = true;
    try {
      // Both are usually synchronous: awaiting only real promises keeps small transfers cheap.
      const ready = sink.ready();
      if (ready) await untilAborted(ready, opts.signal);
      const examined = source.examine();
      const info = examined instanceof Promise ? await examined : examined;
      // Decided before any skip: fallback: false must refuse before anything is read.
      const choice = host.native(sink, source, info);
      const native = 'io' in choice;
      if (!native && !opts.fallback) {
        throw new SendfileNotAvailableError(`sendfile is not available: ${choice.reason}`);
      }
      let start = off;
      if (info.sequential && off !== 0 && source.skip) {
        // A byte stream discards its way to the offset, and from there it is a stream that
        // starts at 0. A pipe or device cannot: the core refuses the offset (ESPIPE).
        if ((await source.skip(off)) < off) return { bytesSent: 0, nativeBytes: 0, path: 'buffered' };
        start = 0;
      }
      const io: TransferIO = {
        read: source.read.bind(source),
        write: sink.write.bind(sink),
        commit: source.commit.bind(source),
        ...(native ? choice.io : {}),
      };
      const result = await runTransfer(host.core(), io, {
        offset: start, count: cnt, size: info.size, native, fallback: opts.fallback,
        sequential: info.sequential, signal: opts.signal, onProgress: opts.onProgress,
      });
      failed = false;
      return result;
    } catch (err) {
      throw withBytesSent(err, (err as { bytesSent?: number } | null)?.bytesSent ?? 0);
    } finally {
      sink.end?.(failed);
      const ending = source.end?.();
      if (ending) await ending;
      key[IN_FLIGHT] = false;
    }
  }
  const sockSendfile = (async (...a: Parameters<SockSendfile>) => (await run(...a)).bytesSent) as SockSendfile & {
    withReport: (...a: Parameters<SockSendfile>) => Promise<TransferReport>;
  };
  sockSendfile.withReport = run;
  return sockSendfile;
}

/** The functions every runtime entry exports (ts/entries/): one shape, documented once. */
export interface Entry {
  /**
   * Sends `count` bytes of `file` from `offset` (to EOF when count is undefined or null) over
   * `sock`; resolves with the bytes sent. The accepted kinds of `sock` and `file` are the host's;
   * the README has the full contract.
   */
  sockSendfile: SockSendfile;
  /** sockSendfile that also tells which path moved the bytes (used by `sock-sendfile check`). */
  sockSendfileWithReport: (...a: Parameters<SockSendfile>) => Promise<TransferReport>;
  /** Which native backend is loaded, or why none is (web runtimes: never native). */
  capabilities(): Capabilities;
  /** Sizes the core's fixed memory; only before the first transfer (else ERR_INVALID_STATE). */
  configure(options: CoreOptions): void;
}

/** An entry's functions over a host; `configure` is the runtime's core loader's. */
export function makeEntry(host: Host, configure: (options: CoreOptions) => void): Entry {
  const impl = makeSockSendfile(host);
  return {
    sockSendfile: impl,
    sockSendfileWithReport: impl.withReport,
    capabilities: () => host.capabilities(),
    configure,
  };
}
