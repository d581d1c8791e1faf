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

import {
  ACT_DONE, ACT_FAIL, ACT_READ, ACT_SENDFILE, ACT_SENDFILE_ASYNC, ACT_WAIT, ACT_WRITE,
  FAIL_ABORTED, FAIL_NOT_AVAILABLE, FLAG_FALLBACK, FLAG_NATIVE, FLAG_SEQUENTIAL, NO_ENTRY, NO_WAKE,
} from '../wasm/abi.js';
import type { Core } from './core.js';
import { AbortError, SendfileNotAvailableError, withBytesSent } from './errors.js';

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
  /** Writes `chunk` (a view of a slot the core will not reuse until done is called). */
  write(chunk: Uint8Array, done: (err: unknown) => void): void;
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

async function beginEntry(core: Core, sched: Scheduler, req: TransferRequest, flags: number): Promise<number> {
  for (;;) {
    const t = core.x.begin(req.offset, req.count, req.size, flags);
    if (t !== NO_ENTRY) return t;
    await new Promise<void>((resolve) => sched.entryWaiters.push(resolve));
  }
}

/** Runs one transfer to completion. Rejections carry `bytesSent`. */
export async function runTransfer(core: Core, io: TransferIO, req: TransferRequest): Promise<TransferResult> {
  const x = core.x;
  const sched = schedulerOf(core);
  const flags = (req.native ? FLAG_NATIVE : 0) | (req.fallback ? FLAG_FALLBACK : 0) | (req.sequential ? FLAG_SEQUENTIAL : 0);
  const t = await beginEntry(core, sched, req, flags);

  return new Promise<TransferResult>((resolve, reject) => {
    let settled = false;
    let pumping = false;
    let again = false;
    let firstError: unknown;   // the I/O error that failed the transfer
    let abortError: unknown;   // set when the host gave up (signal, onProgress)
    let nativeError: unknown;  // the last native failure, the cause of NOT_AVAILABLE
    let reported = 0;          // last total given to onProgress

    const progress = (): void => {
      if (!req.onProgress || settled) return;
      const total = x.sent(t);
      if (total === reported) return;
      reported = total;
      try {
        req.onProgress(total);
      } catch (err) {
        giveUp(err);
      }
    };

    const giveUp = (err: unknown): void => {
      if (settled || abortError !== undefined) return;
      abortError = err;
      x.fail(t, FAIL_ABORTED);
    };

    const onAbort = (): void => {
      giveUp(new AbortError(req.signal!.reason));
      pump();
    };

    const settle = (ok: boolean): void => {
      settled = true;
      sched.pumps.delete(t);
      req.signal?.removeEventListener('abort', onAbort);
      const sent = x.sent(t);
      // After an abort, chunks already handed to the sink cannot be withdrawn and go out in
      // order: they count, so that offset + bytesSent is where a resumed transfer starts.
      const bytesSent = abortError !== undefined ? x.committed(t) : sent;
      const nativeBytes = x.nativeSent(t);
      const failure = x.failure(t);
      x.finish(t);
      wakeWaiters(core, sched);
      sched.entryWaiters.shift()?.();
      if (ok) {
        resolve({ bytesSent, nativeBytes, path: nativeBytes > 0 ? 'native' : 'buffered' });
      } else if (abortError !== undefined) {
        reject(withBytesSent(abortError, bytesSent));
      } else if (failure === FAIL_NOT_AVAILABLE) {
        reject(new SendfileNotAvailableError('sendfile is not available for this socket and file', { cause: nativeError }));
      } else {
        reject(withBytesSent(firstError ?? new Error(`transfer failed (core failure ${failure})`), bytesSent));
      }
    };

    const onSendfile = (err: unknown, n: number): void => {
      if (err !== undefined && err !== null) {
        nativeError = err;
        if (firstError === undefined && x.sent(t) > 0) firstError = err;
        x.sendfileError(t);
      } else if (n === AGAIN) {
        x.sendfileAgain(t);
      } else {
        x.sendfileDone(t, n);
        if (n > 0) progress();
      }
    };

    const sendfileHere = (): void => {
      let n = 0;
      let err: unknown;
      try { n = io.sendfile!(x.actOffset(), x.actLength()); } catch (e) { err = e ?? new Error('sendfile failed'); }
      onSendfile(err, n);
    };

    const pump = (): void => {
      if (settled) return;
      if (pumping) { again = true; return; }
      pumping = true;
      try {
        do {
          again = false;
          if (turn()) return;
        } while (again);
      } finally {
        pumping = false;
      }
    };

    // One pass over the actions available now; true once the transfer settled.
    const turn = (): boolean => {
      for (;;) {
        const act = x.next(t);
        switch (act) {
          case ACT_WAIT:
            return false;
          case ACT_SENDFILE:
            sendfileHere();
            break;
          case ACT_SENDFILE_ASYNC: {
            if (!io.sendfileAsync) { // the host has no off-thread path: one more bounded call here
              sendfileHere();
              break;
            }
            io.sendfileAsync(x.actOffset(), x.actLength(), (err, n) => {
              onSendfile(err, n);
              wakeWaiters(core, sched);
              pump();
            });
            break;
          }
          case ACT_READ: {
            const s = x.actSlot();
            const len = x.actLength();
            io.read(core.slots[s], x.actOffset(), len, (err, n) => {
              if (err !== undefined && err !== null) {
                if (firstError === undefined) firstError = err;
                x.readFailed(t, s);
              } else {
                x.readDone(t, s, n);
              }
              wakeWaiters(core, sched);
              pump();
            });
            break;
          }
          case ACT_WRITE: {
            const s = x.actSlot();
            io.write(core.slots[s].subarray(0, x.actLength()), (err) => {
              if (err !== undefined && err !== null) {
                if (firstError === undefined) firstError = err;
                x.writeFailed(t, s);
              } else {
                x.writeDone(t, s);
                if (!settled) progress();
              }
              wakeWaiters(core, sched);
              pump();
            });
            break;
          }
          case ACT_DONE:
            settle(true);
            return true;
          case ACT_FAIL:
            settle(false);
            return true;
          default:
            throw new Error(`the WASM core returned an unknown action ${act}`);
        }
      }
    };

    sched.pumps.set(t, pump);
    if (req.signal) {
      if (req.signal.aborted) {
        giveUp(new AbortError(req.signal.reason));
      } else {
        req.signal.addEventListener('abort', onAbort, { once: true });
      }
    }
    pump();
  });
}
