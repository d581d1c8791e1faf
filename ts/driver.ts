// The driver: runs one transfer by asking the core for actions and performing them through a
// host's TransferIO. Runtime-neutral: the Node, web and WASI-shim hosts all come through here.
//
// Invariants:
// - Every operation the core hands out is reported back exactly once, even after the transfer
//   settled (abort, failure): the core frees a slot only on that report.
// - The promise settles exactly once, on the first ACT_DONE or ACT_FAIL.
// - The pump never re-enters itself: an I/O callback that fires synchronously only marks that
//   another turn is due.
// - onProgress sees totals that only grow, once per completed chunk.
// - bytesSent and the position come from the core (reported(), position()); nothing here adds
//   them up.
// - A transfer runs synchronously until it must wait: a small native transfer (one on-thread
//   sendfile) settles without a listener, a closure per operation or a pending promise, since
//   per-call overhead is what this library exists to remove.

import {
  ACT_DONE, ACT_FAIL, ACT_READ, ACT_SENDFILE, ACT_SENDFILE_ASYNC, ACT_WAIT, ACT_WRITE,
  FAIL_ABORTED, FAIL_NOT_AVAILABLE, FLAG_FALLBACK, FLAG_NATIVE, FLAG_SEQUENTIAL, NO_ENTRY, NO_WAKE,
  SEEK_REFUSED,
} from '../wasm/abi.js';
import type { Core, CoreExports } from './core.js';
import {
  AbortError, ErrorCodes, SendfileNotAvailableError, codedError, withBytesSent,
} from './errors.js';

/** sendfile found the socket full: the core sends the next piece through write(). */
export const AGAIN = -1;

/** What a host does for one transfer. Callbacks may fire synchronously or later. */
export interface TransferIO {
  /** One bounded sendfile on the calling thread: bytes moved (0 = EOF), or AGAIN. Throws on error. */
  sendfile?(offset: number, length: number): number;
  /** The same, possibly off-thread: done(null, n | AGAIN) or done(error). */
  sendfileAsync?(offset: number, length: number, done: (err: unknown, n: number) => void): void;
  /** Reads up to `length` bytes at `position` (ignored for sequential sources) into `into`. */
  read(into: Uint8Array, position: number, length: number, done: (err: unknown, n: number) => void): void;
  /**
   * Writes `chunk`, a view of a slot the core will not reuse until done is called, unless this
   * returns true: the host copied the bytes before returning, and the slot may be reused at once.
   */
  write(chunk: Uint8Array, done: (err: unknown) => void): boolean | void;
  /** Asks an off-thread sendfile in flight to stop soon (abort); it still reports back. */
  cancel?(): void;
  /** Records the file position the core computed, once, as the transfer settles having sent
   *  bytes (the core's position(): offset + bytesSent). */
  commit?(position: number): void;
}

export interface TransferRequest {
  offset: number;
  /** -1: to EOF. */
  count: number;
  /** -1: unknown (a pipe, a stream). */
  size: number;
  native: boolean;
  fallback: boolean;
  sequential: boolean;
  signal?: AbortSignal;
  onProgress?: (bytesSent: number) => void;
}

export interface TransferResult {
  bytesSent: number;
  /** Bytes moved by sendfile itself (the rest went through buffers). */
  nativeBytes: number;
  /** 'native' when sendfile moved any byte, else 'buffered'. */
  path: 'native' | 'buffered';
}

/** Per-core bookkeeping: which pump to wake when the core frees a slot or an entry. */
interface Scheduler {
  pumps: Map<number, () => void>;
  entryWaiters: (() => void)[];
}
const schedulers = new WeakMap<Core, Scheduler>();

function schedulerOf(core: Core): Scheduler {
  let s = schedulers.get(core);
  if (!s) {
    s = { pumps: new Map(), entryWaiters: [] };
    schedulers.set(core, s);
  }
  return s;
}

function wakeWaiters(core: Core, sched: Scheduler): void {
  for (let w = core.x.takeWake(); w !== NO_WAKE; w = core.x.takeWake()) {
    const pump = sched.pumps.get(w);
    if (pump) queueMicrotask(pump);
  }
}

// An entry frees only when its transfer settled and its last operation reported back, which
// may be long after the settle (an abort with writes in flight): every waiter retries then, in
// arrival order, and those that find the table full again queue again.
function wakeEntryWaiters(sched: Scheduler): void {
  const waiters = sched.entryWaiters.splice(0);
  for (const w of waiters) w();
}

async function waitForEntry(core: Core, sched: Scheduler, req: TransferRequest, flags: number): Promise<number> {
  const signal = req.signal;
  for (;;) {
    await new Promise<void>((resolve, reject) => {
      if (!signal) { sched.entryWaiters.push(resolve); return; }
      const onAbort = (): void => {
        const i = sched.entryWaiters.indexOf(wake);
        if (i >= 0) sched.entryWaiters.splice(i, 1);
        reject(new AbortError(signal.reason));
      };
      const wake = (): void => { signal.removeEventListener('abort', onAbort); resolve(); };
      sched.entryWaiters.push(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    const t = core.x.begin(req.offset, req.count, req.size, flags);
    if (t !== NO_ENTRY) return t;
  }
}

function seekRefused(offset: number): Error {
  return withBytesSent(codedError(ErrorCodes.ILLEGAL_SEEK, `cannot start at offset ${offset} in a file that cannot seek`), 0);
}

/** Runs one transfer to completion. Rejections carry `bytesSent`. */
export function runTransfer(core: Core, io: TransferIO, req: TransferRequest): Promise<TransferResult> {
  const sched = schedulerOf(core);
  const flags = (req.native ? FLAG_NATIVE : 0) | (req.fallback ? FLAG_FALLBACK : 0) | (req.sequential ? FLAG_SEQUENTIAL : 0);
  const t = core.x.begin(req.offset, req.count, req.size, flags);
  if (t === SEEK_REFUSED) return Promise.reject(seekRefused(req.offset));
  if (t === NO_ENTRY) return waitForEntry(core, sched, req, flags).then((id) => new Run(core, sched, io, req, id).start());
  return new Run(core, sched, io, req, t).start();
}

/** One transfer's state between the core's actions and the host's I/O. */
class Run {
  private settled = false;
  private pumping = false;
  private again = false;
  private firstError: unknown;  // the I/O error that failed the transfer
  private abortError: unknown;  // set when the host gave up (signal, onProgress)
  private nativeError: unknown; // the last native failure, the cause of NOT_AVAILABLE
  private reported = 0;         // last total given to onProgress
  private outcome: { ok: true; value: TransferResult } | { ok: false; error: unknown } | undefined;
  private resolve?: (r: TransferResult) => void;
  private reject?: (e: unknown) => void;
  private readonly x: CoreExports;

  constructor(
    private readonly core: Core,
    private readonly sched: Scheduler,
    private readonly io: TransferIO,
    private readonly req: TransferRequest,
    private readonly t: number,
  ) {
    this.x = core.x;
  }

  start(): Promise<TransferResult> {
    const signal = this.req.signal;
    if (signal?.aborted) this.giveUp(new AbortError(signal.reason));
    this.pump();
    if (!this.outcome && signal) {
      // An abort from inside the synchronous part (an onProgress callback) came before the
      // listener existed.
      if (signal.aborted) this.onAbort();
      else signal.addEventListener('abort', this.onAbort, { once: true });
    }
    if (this.outcome) return this.outcome.ok ? Promise.resolve(this.outcome.value) : Promise.reject(this.outcome.error);
    this.sched.pumps.set(this.t, this.pump);
    return new Promise<TransferResult>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  readonly pump = (): void => {
    if (this.settled) return;
    if (this.pumping) { this.again = true; return; }
    this.pumping = true;
    try {
      do {
        this.again = false;
        if (this.turn()) return;
      } while (this.again);
    } finally {
      this.pumping = false;
    }
  };

  private readonly onAbort = (): void => {
    this.giveUp(new AbortError(this.req.signal!.reason));
    this.pump();
  };

  private giveUp(err: unknown): void {
    if (this.settled || this.abortError !== undefined) return;
    this.abortError = err;
    this.x.fail(this.t, FAIL_ABORTED);
    this.io.cancel?.();
  }

  private progress(): void {
    const report = this.req.onProgress;
    if (!report || this.settled) return;
    const total = this.x.sent(this.t);
    if (total === this.reported) return;
    this.reported = total;
    try {
      report(total);
    } catch (err) {
      this.giveUp(err);
    }
  }

  // One pass over the actions available now; true once the transfer settled.
  private turn(): boolean {
    const x = this.x;
    const t = this.t;
    for (;;) {
      const act = x.next(t);
      switch (act) {
        case ACT_WAIT:
          return false;
        case ACT_SENDFILE:
          this.sendfileHere();
          break;
        case ACT_SENDFILE_ASYNC:
          if (!this.io.sendfileAsync) { // no off-thread path: one more bounded call here
            this.sendfileHere();
            break;
          }
          this.io.sendfileAsync(x.actOffset(), x.actLength(), (err, n) => {
            this.onSendfile(err, n);
            this.afterReport();
          });
          break;
        case ACT_READ: {
          const s = x.actSlot();
          this.io.read(this.core.slots[s], x.actOffset(), x.actLength(), (err, n) => {
            if (err !== undefined && err !== null) {
              if (this.firstError === undefined) this.firstError = err;
              x.readFailed(t, s);
            } else {
              x.readDone(t, s, n);
            }
            this.afterReport();
          });
          break;
        }
        case ACT_WRITE: {
          const s = x.actSlot();
          const len = x.actLength();
          let detached = false, reported = false;
          const copied = this.io.write(this.core.slots[s].subarray(0, len), (err) => {
            reported = true;
            const failed = err !== undefined && err !== null;
            if (failed && this.firstError === undefined) this.firstError = err;
            if (detached) {
              if (failed) x.detachedWriteFailed(t, len); else x.detachedWriteDone(t, len);
            } else if (failed) {
              x.writeFailed(t, s, 0); // a sink's write fails whole: no count of what it took
            } else {
              x.writeDone(t, s);
            }
            if (!failed) this.progress();
            this.afterReport();
          });
          if (copied === true && !reported) {
            // The sink has its own copy: the slot goes back now, so a peer that stops reading
            // holds this transfer's writes, not slots the other transfers are waiting for.
            detached = true;
            x.writeDetach(t, s);
            wakeWaiters(this.core, this.sched);
          }
          break;
        }
        case ACT_DONE:
          this.settle(true);
          return true;
        case ACT_FAIL:
          this.settle(false);
          return true;
        default:
          throw new Error(`the WASM core returned an unknown action ${act}`);
      }
    }
  }

  private afterReport(): void {
    wakeWaiters(this.core, this.sched);
    // A late report of a settled transfer is what frees its entry.
    if (this.settled && this.sched.entryWaiters.length > 0 && !this.x.active(this.t)) wakeEntryWaiters(this.sched);
    this.pump();
  }

  private sendfileHere(): void {
    let n = 0;
    let err: unknown;
    try { n = this.io.sendfile!(this.x.actOffset(), this.x.actLength()); } catch (e) { err = e ?? new Error('sendfile failed'); }
    this.onSendfile(err, n);
  }

  private onSendfile(err: unknown, n: number): void {
    const x = this.x;
    if (err !== undefined && err !== null) {
      this.nativeError = err;
      if (this.firstError === undefined && x.sent(this.t) > 0) this.firstError = err;
      x.sendfileError(this.t);
    } else if (n === AGAIN) {
      x.sendfileAgain(this.t);
    } else {
      x.sendfileDone(this.t, n);
      if (n > 0) this.progress();
    }
  }

  private settle(ok: boolean): void {
    const x = this.x;
    const t = this.t;
    this.settled = true;
    this.sched.pumps.delete(t);
    this.req.signal?.removeEventListener('abort', this.onAbort);
    const bytesSent = x.reported(t);
    if (bytesSent > 0) this.io.commit?.(x.position(t));
    const nativeBytes = x.nativeSent(t);
    const failure = x.failure(t);
    x.finish(t);
    wakeWaiters(this.core, this.sched);
    if (this.sched.entryWaiters.length > 0 && !x.active(t)) wakeEntryWaiters(this.sched);
    if (ok) {
      this.outcome = { ok: true, value: { bytesSent, nativeBytes, path: nativeBytes > 0 ? 'native' : 'buffered' } };
    } else if (this.abortError !== undefined) {
      this.outcome = { ok: false, error: withBytesSent(this.abortError, bytesSent) };
    } else if (failure === FAIL_NOT_AVAILABLE) {
      this.outcome = { ok: false, error: new SendfileNotAvailableError('sendfile is not available for this socket and file', { cause: this.nativeError }) };
    } else {
      this.outcome = { ok: false, error: withBytesSent(this.firstError ?? new Error(`transfer failed (core failure ${failure})`), bytesSent) };
    }
    if (this.outcome.ok) this.resolve?.(this.outcome.value);
    else this.reject?.(this.outcome.error);
  }
}
