// The transfer state machine: events in (what the host's I/O did), actions out (what to do next).
// No I/O, no clocks, no allocation after configure().
//
// Invariants, for every transfer t at every step:
// - Never past count: cursor <= end, and every READ or SENDFILE asks at most end - cursor bytes.
// - Never a byte twice or skipped: data leaves in file order. One read, or one sendfile, is in
//   flight at a time; filled slots are handed out for writing in the order they were read.
// - sent + inflight == cursor - offset outside a read or sendfile in flight.
// - reported() is the one count a host reports as bytesSent, and position() = offset + reported()
//   the one file position it leaves behind: sent, plus after an abort the bytes already handed
//   to the sink (they cannot be withdrawn and go out in order, so a resumed transfer starts
//   there). A write that failed part-way counts the bytes the sink took (writeFailed's
//   `accepted`), so sent() is final without the host adding anything.
// - A sequential file (FLAG_SEQUENTIAL) starts at offset 0 or not at all (SEEK_REFUSED).
// - A failure other than an abort is reported (ACT_FAIL) only once nothing is in flight, so
//   sent() is final; an abort is reported at once and reported() counts what was handed out.
// - Native falls back (or fails NOT_AVAILABLE) only while nothing was sent or is in flight; any
//   failure after the first byte is final.
// - A slot is reused only after the host reported its write (or read) complete, or reported that
//   it copied the bytes out (writeDetach), even after the transfer failed or was aborted: the
//   entry stays allocated until finish(), held == 0 and no write is in flight.
// - At most `depth` writes are in flight per transfer, detached or not: what a stalled sink can
//   pin is bounded per transfer, and a detached one pins no slot that other transfers need.
// - A report that claims more bytes than were asked fails the transfer (FAIL_PROTOCOL) rather
//   than counting bytes that cannot exist.

import {
  ACT_DONE, ACT_FAIL, ACT_READ, ACT_SENDFILE, ACT_SENDFILE_ASYNC, ACT_WAIT, ACT_WRITE,
  FAIL_ABORTED, FAIL_IO, FAIL_NONE, FAIL_NOT_AVAILABLE, FAIL_PROTOCOL, FLAG_FALLBACK, FLAG_NATIVE,
  FLAG_SEQUENTIAL, NO_ENTRY, SEEK_REFUSED,
} from "./abi";
import {
  SLOT_FILLED, SLOT_READING, SLOT_WRITING, Transfer, acquire, asyncChunk, configured, depth,
  entry, maxTransfers, release, setSlot, slotLenOf, slotOwnerOf, slotSize, slotStateOf, syncLimit,
  unqueue,
} from "./pool";

const STATE_FREE: i32 = 0;
const STATE_ACTIVE: i32 = 1;
const STATE_DONE: i32 = 2;
const STATE_FAILED: i32 = 3;

export const MODE_NATIVE: i32 = 1;
export const MODE_BUFFERED: i32 = 2;

// Parameters of the last action returned by next().
let actOff: i64 = 0;
let actLen: i32 = 0;
let actSl: i32 = -1;
let searchFrom: i32 = 0;

export function actionOffset(): i64 { return actOff; }
export function actionLength(): i32 { return actLen; }
export function actionSlot(): i32 { return actSl; }

// Starts a transfer of [offset, offset + count) of a file of `size` bytes. count < 0 means to
// EOF; size < 0 means unknown (a pipe, a stream). Returns its id, NO_ENTRY when the table
// is full (the host waits for a finish and tries again), or SEEK_REFUSED.
export function begin(offset: i64, count: i64, size: i64, flags: i32): i32 {
  if ((flags & FLAG_SEQUENTIAL) != 0 && offset != 0) return SEEK_REFUSED;
  if (!configured()) return NO_ENTRY;
  let t = NO_ENTRY;
  for (let i = 0; i < maxTransfers; i++) {
    const id = (searchFrom + i) % maxTransfers;
    if (entry(id).state == STATE_FREE) { t = id; break; }
  }
  if (t == NO_ENTRY) return NO_ENTRY;
  searchFrom = (t + 1) % maxTransfers;
  let end: i64 = count < 0 ? i64.MAX_VALUE : offset + count;
  if (size >= 0 && size < end) end = size;
  if (end < offset) end = offset;
  const e = entry(t);
  e.state = STATE_ACTIVE;
  e.mode = (flags & FLAG_NATIVE) != 0 ? MODE_NATIVE : MODE_BUFFERED;
  e.flags = flags;
  e.failure = FAIL_NONE;
  e.held = 0;
  e.reading = -1;
  e.filled = -1;
  e.queued = 0;
  e.finished = 0;
  e.nativeBusy = 0;
  e.writeThrough = 0;
  e.nativeLen = 0;
  e.offset = offset;
  e.end = end;
  e.cursor = offset;
  e.sent = 0;
  e.inflight = 0;
  e.nativeSent = 0;
  e.eof = 0;
  e.first = 1;
  e.writing = 0;
  return t;
}

// The next thing the host should do for t. Call it until it returns ACT_WAIT, DONE or FAIL;
// each READ and WRITE returned is a separate operation the host starts at once.
export function next(t: i32): i32 {
  const e = entry(t);
  // An abort settles at once (the host must be prompt); other failures wait for operations in
  // flight, so that sent() counts every write that completed.
  // A sendfile in flight is waited for even then: it is bounded, and its bytes go out anyway.
  if (e.state == STATE_FAILED) return (e.failure == FAIL_ABORTED && !e.nativeBusy) || idle(e) ? ACT_FAIL : ACT_WAIT;
  if (e.state == STATE_DONE) return ACT_DONE;
  if (e.state != STATE_ACTIVE) unreachable();
  if (e.filled >= 0) return handOutFilled(e);
  if (e.mode == MODE_NATIVE) return nextNative(t, e);
  return nextBuffered(t, e);
}

function nextNative(t: i32, e: Transfer): i32 {
  if (e.nativeBusy || e.reading >= 0 || e.held > 0 || e.writing > 0) return ACT_WAIT;
  if (e.eof || e.cursor >= e.end) return complete(e);
  if (e.writeThrough) return startRead(t, e);
  const left = e.end - e.cursor;
  let act = ACT_SENDFILE;
  let len: i64 = left < <i64>syncLimit ? left : <i64>syncLimit;
  // The first attempt is bounded and on the JS thread; a large remainder may leave it.
  if (!e.first && left > <i64>syncLimit) {
    act = ACT_SENDFILE_ASYNC;
    len = left < <i64>asyncChunk ? left : <i64>asyncChunk;
  }
  e.first = 0;
  e.nativeBusy = 1;
  e.nativeLen = <i32>len;
  actOff = e.cursor;
  actLen = <i32>len;
  actSl = -1;
  return act;
}

function nextBuffered(t: i32, e: Transfer): i32 {
  const more = !e.eof && e.cursor < e.end;
  if (more && e.reading < 0 && e.held < depth && e.writing < depth) return startRead(t, e);
  if (!more && e.reading < 0 && e.held == 0 && e.writing == 0) return complete(e);
  return ACT_WAIT;
}

function startRead(t: i32, e: Transfer): i32 {
  const s = acquire(t);
  if (s < 0) return ACT_WAIT; // queued; the host is told through takeWake()
  const left = e.end - e.cursor;
  const len = left < <i64>slotSize ? <i32>left : slotSize;
  setSlot(s, SLOT_READING, len);
  e.reading = s;
  actOff = e.cursor;
  actLen = len;
  actSl = s;
  return ACT_READ;
}

function handOutFilled(e: Transfer): i32 {
  const s = e.filled;
  e.filled = -1;
  const len = slotLenOf(s);
  setSlot(s, SLOT_WRITING, len);
  e.inflight += len;
  e.writing++;
  actOff = e.cursor - len; // the slot handed out is always the latest read
  actLen = len;
  actSl = s;
  return ACT_WRITE;
}

function complete(e: Transfer): i32 {
  e.state = STATE_DONE;
  return ACT_DONE;
}

function failWith(t: i32, e: Transfer, code: i32): void {
  if (e.state != STATE_ACTIVE) return;
  e.state = STATE_FAILED;
  e.failure = code;
  unqueue(t);
  // A filled slot that was never handed out has no write to wait for.
  if (e.filled >= 0) { const s = e.filled; e.filled = -1; release(s); }
}

// --- reports from the host ---------------------------------------------------------------

// sendfile moved n > 0 bytes, or n == 0: EOF came early (the file shrank).
function sendfileDoneImpl(t: i32, n: i64): void {
  const e = entry(t);
  if (!e.nativeBusy) unreachable();
  e.nativeBusy = 0;
  if (n < 0 || n > <i64>e.nativeLen) { failWith(t, e, FAIL_PROTOCOL); return; }
  if (n == 0) { e.eof = 1; return; }
  // Bytes sendfile moved went out even if the transfer was aborted meanwhile: count them.
  e.cursor += n;
  e.sent += n;
  e.nativeSent += n;
}

// sendfile found the socket full (EAGAIN) having moved nothing this call: the next piece goes
// through a slot and the sink's own write, whose completion tells the host the socket drained.
function sendfileAgainImpl(t: i32): void {
  const e = entry(t);
  if (!e.nativeBusy) unreachable();
  e.nativeBusy = 0;
  if (e.state != STATE_ACTIVE) return;
  e.writeThrough = 1;
}

// sendfile failed. Before any byte went this is "not available": fall back, or fail
// NOT_AVAILABLE without fallback. After the first byte it is final.
function sendfileErrorImpl(t: i32): void {
  const e = entry(t);
  if (!e.nativeBusy) unreachable();
  e.nativeBusy = 0;
  if (e.state != STATE_ACTIVE) return;
  if (e.sent + e.inflight > 0) { failWith(t, e, FAIL_IO); return; }
  if ((e.flags & FLAG_FALLBACK) == 0) { failWith(t, e, FAIL_NOT_AVAILABLE); return; }
  e.mode = MODE_BUFFERED;
  e.cursor = e.offset;
  e.writeThrough = 0;
}

// A read into slot s finished with n bytes (0 = EOF).
function readDoneImpl(t: i32, s: i32, n: i32): void {
  const e = entry(t);
  checkSlot(t, s, SLOT_READING);
  e.reading = -1;
  if (e.state != STATE_ACTIVE) { release(s); return; }
  if (n < 0 || n > slotLenOf(s)) { release(s); failWith(t, e, FAIL_PROTOCOL); return; }
  if (n == 0) { e.eof = 1; release(s); return; }
  setSlot(s, SLOT_FILLED, n);
  e.cursor += n;
  e.filled = s;
  if (e.mode == MODE_NATIVE) e.writeThrough = 0;
}

// A read into slot s failed; the host keeps the error.
function readFailedImpl(t: i32, s: i32): void {
  const e = entry(t);
  checkSlot(t, s, SLOT_READING);
  e.reading = -1;
  release(s);
  failWith(t, e, FAIL_IO);
}

// The write of slot s completed: its bytes were accepted by the OS or the sink.
function writeDoneImpl(t: i32, s: i32): void {
  const e = entry(t);
  checkSlot(t, s, SLOT_WRITING);
  const len = slotLenOf(s);
  e.inflight -= len;
  e.sent += len;
  e.writing--;
  release(s);
}

// The write of slot s failed after the sink took the first `accepted` bytes (0 when it cannot
// tell): those count as sent, the rest do not.
function writeFailedImpl(t: i32, s: i32, accepted: i32): void {
  const e = entry(t);
  checkSlot(t, s, SLOT_WRITING);
  const len = slotLenOf(s);
  e.inflight -= len;
  e.writing--;
  release(s);
  if (accepted < 0 || accepted > len) { failWith(t, e, FAIL_PROTOCOL); return; }
  e.sent += accepted;
  failWith(t, e, FAIL_IO);
}

// The host copied slot s's bytes for its write, which is still in flight: the slot is free now,
// the write is reported later by length (detachedWriteDone / detachedWriteFailed).
function writeDetachImpl(t: i32, s: i32): void {
  checkSlot(t, s, SLOT_WRITING);
  release(s);
}

// A detached write of n bytes completed. Writes complete in the order they were handed out, so
// n is the oldest one's length; a length no write in flight can have fails the transfer.
function detachedWriteDoneImpl(t: i32, n: i32): void {
  const e = entry(t);
  if (e.writing <= 0) unreachable(); // host bug: no write in flight
  e.writing--;
  if (n <= 0 || <i64>n > e.inflight) { failWith(t, e, FAIL_PROTOCOL); return; }
  e.inflight -= n;
  e.sent += n;
}

// A detached write of n bytes failed; its bytes do not count as sent.
function detachedWriteFailedImpl(t: i32, n: i32): void {
  const e = entry(t);
  if (e.writing <= 0) unreachable();
  e.writing--;
  e.inflight -= <i64>n <= e.inflight ? <i64>n : e.inflight;
  failWith(t, e, FAIL_IO);
}

// The host gave up on t (abort signal, a throwing progress callback, an error of its own).
// Operations already started must still be reported; next() answers FAIL from now on.
export function fail(t: i32, code: i32): void {
  const e = entry(t);
  failWith(t, e, code == FAIL_NONE ? FAIL_ABORTED : code);
}

// The host is done with t. Its entry is reused once every slot it held came back.
export function finish(t: i32): void {
  const e = entry(t);
  if (e.state == STATE_ACTIVE) failWith(t, e, FAIL_ABORTED);
  e.finished = 1;
  tryFree(e);
}

function idle(e: Transfer): bool {
  return e.held == 0 && e.reading < 0 && !e.nativeBusy && e.writing == 0;
}

function tryFree(e: Transfer): void {
  if (e.finished && idle(e)) e.state = STATE_FREE;
}

function checkSlot(t: i32, s: i32, want: i32): void {
  if (slotOwnerOf(s) != t || slotStateOf(s) != want) unreachable(); // host bug
}

// Every report may hand back the last slot of a finished transfer: free its entry then.
export function sendfileDone(t: i32, n: i64): void { sendfileDoneImpl(t, n); tryFree(entry(t)); }
export function sendfileAgain(t: i32): void { sendfileAgainImpl(t); tryFree(entry(t)); }
export function sendfileError(t: i32): void { sendfileErrorImpl(t); tryFree(entry(t)); }
export function readDone(t: i32, s: i32, n: i32): void { readDoneImpl(t, s, n); tryFree(entry(t)); }
export function readFailed(t: i32, s: i32): void { readFailedImpl(t, s); tryFree(entry(t)); }
export function writeDone(t: i32, s: i32): void { writeDoneImpl(t, s); tryFree(entry(t)); }
export function writeFailed(t: i32, s: i32, accepted: i32): void { writeFailedImpl(t, s, accepted); tryFree(entry(t)); }
export function writeDetach(t: i32, s: i32): void { writeDetachImpl(t, s); }
export function detachedWriteDone(t: i32, n: i32): void { detachedWriteDoneImpl(t, n); tryFree(entry(t)); }
export function detachedWriteFailed(t: i32, n: i32): void { detachedWriteFailedImpl(t, n); tryFree(entry(t)); }

// --- getters -----------------------------------------------------------------------------
export function sent(t: i32): i64 { return entry(t).sent; }
export function reported(t: i32): i64 {
  const e = entry(t);
  return e.failure == FAIL_ABORTED ? e.sent + e.inflight : e.sent;
}
export function position(t: i32): i64 { return entry(t).offset + reported(t); }
export function failure(t: i32): i32 { return entry(t).failure; }
export function mode(t: i32): i32 { return entry(t).mode; }
export function nativeSent(t: i32): i64 { return entry(t).nativeSent; }
export function held(t: i32): i32 { return entry(t).held; }
export function active(t: i32): bool { return entry(t).state != STATE_FREE; }
