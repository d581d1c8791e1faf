// The WASI host of the core: drives one transfer of the core's state machine (wasm/transfer.ts)
// with wasi:filesystem and wasi:io/streams, synchronously, inside the component.
//
// Invariants:
// - The accounting is the core's: this file performs the action next() returns and reports it;
//   it never decides where to read or how much. A regular file goes the core's native way, its
//   SENDFILE actions done by splice (the host moves the bytes; measured in wasmtime 48 against
//   read + write: 7-11% more throughput, 8% less CPU per GiB; under jco's preview2-shim 3x the
//   throughput), with the core's READ and WRITE through a slot for what splice may not do.
// - Bytes come from one input stream, reopened only if the core asks for another offset than
//   the one it reads next; splices and reads take from it in file order.
// - Never more than `count` bytes: each READ asks at most what remains, each WRITE writes the
//   slot's length and no more, and a host that returns more than asked fails the transfer.
//   preview2-shim 0.26's splice ignores its length and moves up to 64 KiB, so a splice is issued
//   only while at least SPLICE_MAX bytes of the action remain, or when the action ends at the
//   file's end (no host can move past EOF); a shorter middle piece goes through a slot.
// - A write is never larger than the stream's check-write permit (writing past it traps).
// - `sent` is the core's count alone: a failing slot write reports the bytes the stream had
//   already accepted (writeFailed's `accepted`), so an error reports exactly what went out.
// - The file's size comes from stat before the first read, so `count` past EOF is clamped
//   before any byte moves; EOF found earlier (a file that shrank) ends the transfer cleanly.
// - The handles it is given (the output stream, the descriptor) are left to the caller; the input stream
//   and every pollable and error this file creates are dropped before it returns.
// - The core runs one transfer at a time here: one guest thread, each action completed before
//   next() is called again, so ACT_WAIT can only mean a bug.

import {
  ACT_DONE, ACT_FAIL, ACT_READ, ACT_SENDFILE, ACT_SENDFILE_ASYNC, ACT_WRITE, FAIL_IO, FAIL_PROTOCOL,
  FLAG_FALLBACK, FLAG_NATIVE, FLAG_SEQUENTIAL, NO_ENTRY, SEEK_REFUSED,
} from "../../wasm/abi";
import * as pool from "../../wasm/pool";
import * as tx from "../../wasm/transfer";
import * as w from "./imports";
import { RET, RET2, arm, disarm, msgBytes, msgReset, msgStr, msgU64 } from "./mem";
import { FS_INVALID_SEEK, FS_IS_DIRECTORY, fsErrorName } from "./errors";

// One transfer in flight at most; two slots of 64 KiB (the shim's file streams deliver at most
// 64 KiB per read), so memory stays small and fixed.
const SLOTS: i32 = 2;
const SLOT_SIZE: i32 = 65536;

// The most any host moves in one splice: preview2-shim's chunk, and wasmtime's write permit.
const SPLICE_MAX: i64 = 65536;

export let sent: u64 = 0;

function ensureConfigured(): bool {
  if (pool.configured()) return true;
  return pool.configure(1, SLOTS, SLOT_SIZE, SLOTS, 0, 0) == 0;
}

// Appends the host's description of a wasi:io error and drops the error resource.
function describeStreamError(ret: usize, at: usize): void {
  const handle = load<i32>(ret + at);
  w.errorToDebugString(handle, RET2);
  msgBytes(load<usize>(RET2), load<usize>(RET2, 4));
  w.dropError(handle);
}

// Writes [ptr, ptr + len) within check-write permits. Returns the bytes the stream accepted;
// fewer than len means it failed, with the message written.
function writeAll(out: i32, ptr: usize, len: i32): i32 {
  let done = 0;
  while (done < len) {
    w.outputCheckWrite(out, RET);
    if (load<u8>(RET) != 0) {
      streamFailure("write: ", 8);
      return done;
    }
    const permit = load<u64>(RET, 8);
    if (permit == 0) {
      const p = w.outputSubscribe(out);
      w.pollableBlock(p);
      w.dropPollable(p);
      continue;
    }
    const left = <u64>(len - done);
    const n = <i32>(permit < left ? permit : left);
    w.outputWrite(out, ptr + <usize>done, <usize>n, RET);
    if (load<u8>(RET) != 0) {
      streamFailure("write: ", 4);
      return done;
    }
    done += n;
  }
  return len;
}

const SPLICED_ALL: i32 = 0; //   the action's bytes moved, or the file ended
const SPLICED_SOME: i32 = 1; //  stopped with fewer than SPLICE_MAX left before a middle offset
const SPLICE_FAILED: i32 = 2; // the output failed; the message is written
let spliced: i64 = 0; // bytes the last spliceRun moved, whatever it returned

// Moves up to len bytes from `input` to `out` by blocking-splice; `toEof`: the action ends at the
// file's end. `closed` may mean either stream ended, so the output is asked which one: a file
// that ended early is SPLICED_ALL with fewer bytes, a closed output a failure.
function spliceRun(out: i32, input: i32, len: i64, toEof: bool): i32 {
  spliced = 0;
  while (spliced < len) {
    const left = len - spliced;
    if (left < SPLICE_MAX && !toEof) return SPLICED_SOME;
    w.outputBlockingSplice(out, input, <u64>left, RET);
    if (load<u8>(RET) != 0) {
      if (load<u8>(RET, 8) != <u8>w.STREAM_ERROR_CLOSED) { streamFailure("write: ", 8); return SPLICE_FAILED; }
      w.outputCheckWrite(out, RET);
      if (load<u8>(RET) != 0) { streamFailure("write: ", 8); return SPLICE_FAILED; }
      return SPLICED_ALL;
    }
    // More than asked is reported to the core as it is: it fails the transfer (FAIL_PROTOCOL).
    spliced += load<i64>(RET, 8);
  }
  return SPLICED_ALL;
}

let input: i32 = -1; // the file's input stream, or -1
let inputAt: i64 = -1; // the file offset it delivers next

// Makes `input` deliver from `offset`; false (message written) if the file cannot be read.
function inputFrom(file: i32, offset: i64): bool {
  if (input >= 0 && inputAt == offset) return true;
  if (input >= 0) { w.dropInputStream(input); input = -1; }
  w.descriptorReadViaStream(file, <u64>offset, RET);
  if (load<u8>(RET) != 0) { fsFailure("read: ", load<u8>(RET, 4)); return false; }
  input = load<i32>(RET, 4);
  inputAt = offset;
  return true;
}

// The stream-error at RET + at: `closed` or last-operation-failed with the host's text.
function streamFailure(what: string, at: usize): void {
  msgReset();
  msgStr(what);
  if (load<u8>(RET + at) == <u8>w.STREAM_ERROR_CLOSED) msgStr("stream closed");
  else describeStreamError(RET, at + 4);
}

function fsFailure(what: string, code: i32): void {
  msgReset();
  msgStr(what);
  msgStr(fsErrorName(code));
}

// Sends [offset, offset + count) of `file` to `out` (hasCount false: to EOF). Returns true on
// success; `sent` holds the bytes sent either way and the message buffer says why on failure.
export function sendSlice(out: i32, file: i32, offset: u64, count: u64, hasCount: bool): bool {
  sent = 0;
  msgReset();
  if (!ensureConfigured()) { msgStr("out of memory for the transfer slots"); return false; }
  if (offset > <u64>i64.MAX_VALUE) { msgStr("offset out of range"); return false; }

  w.descriptorStat(file, RET);
  if (load<u8>(RET) != 0) { fsFailure("stat: ", load<u8>(RET, 8)); return false; }
  const type = <i32>load<u8>(RET, 8);
  if (type == w.DESCRIPTOR_DIRECTORY) { fsFailure("read: ", FS_IS_DIRECTORY); return false; }
  // A pipe or device has no meaningful size: read it to EOF (or to count).
  const size: i64 = type == w.DESCRIPTOR_REGULAR_FILE ? load<i64>(RET, 24) : -1;

  const want: i64 = hasCount && count <= <u64>i64.MAX_VALUE ? <i64>count : -1;
  // Splice needs the file's end to know where a host may safely move a whole chunk.
  const flags = size < 0 ? FLAG_SEQUENTIAL : FLAG_NATIVE | FLAG_FALLBACK;
  const t = tx.begin(<i64>offset, want, size, flags);
  if (t == SEEK_REFUSED) { fsFailure("read: ", FS_INVALID_SEEK); return false; }
  if (t == NO_ENTRY) { msgStr("transfer table full"); return false; }

  input = -1;
  let ok = false;
  for (;;) {
    const act = tx.next(t);
    if (act == ACT_SENDFILE || act == ACT_SENDFILE_ASYNC) {
      const at = tx.actionOffset();
      const len = <i64>tx.actionLength();
      let r = SPLICE_FAILED;
      spliced = 0;
      if (inputFrom(file, at)) r = spliceRun(out, input, len, at + len == size);
      inputAt += spliced;
      if (r == SPLICE_FAILED) {
        // Failed first, then the bytes that went: the core counts them and ends in FAIL_IO.
        tx.fail(t, FAIL_IO);
        tx.sendfileDone(t, spliced);
      } else if (r == SPLICED_SOME && spliced == 0) {
        tx.sendfileAgain(t); // the core sends this piece through a slot instead
      } else {
        tx.sendfileDone(t, spliced);
      }
    } else if (act == ACT_READ) {
      const s = tx.actionSlot();
      if (!inputFrom(file, tx.actionOffset())) {
        tx.readFailed(t, s);
        continue;
      }
      const slot = pool.slotPtr(s);
      for (;;) {
        arm(slot, <usize>SLOT_SIZE);
        w.inputBlockingRead(input, <u64>tx.actionLength(), RET);
        disarm();
        if (load<u8>(RET) == 0) {
          const ptr = load<usize>(RET, 4);
          const n = load<i32>(RET, 8);
          // An empty read is not EOF in WASI (EOF is `closed`): ask again.
          if (n == 0) continue;
          inputAt += n;
          // Bytes that did not land in the slot can only be more than the slot holds.
          tx.readDone(t, s, ptr == slot ? n : i32.MAX_VALUE);
        } else if (load<u8>(RET, 4) == <u8>w.STREAM_ERROR_CLOSED) {
          tx.readDone(t, s, 0);
        } else {
          msgReset();
          msgStr("read: ");
          describeStreamError(RET, 8);
          tx.readFailed(t, s);
        }
        break;
      }
    } else if (act == ACT_WRITE) {
      const s = tx.actionSlot();
      const len = tx.actionLength();
      const done = writeAll(out, pool.slotPtr(s), len);
      if (done == len) tx.writeDone(t, s);
      else tx.writeFailed(t, s, done);
    } else if (act == ACT_DONE) {
      ok = true;
      break;
    } else if (act == ACT_FAIL) {
      if (tx.failure(t) == FAIL_PROTOCOL) {
        msgReset();
        msgStr("the host moved more bytes than asked");
      } else if (tx.failure(t) != FAIL_IO) {
        msgReset();
        msgStr("transfer aborted");
      }
      break;
    } else {
      // ACT_WAIT with every action already reported: the core and this driver disagree.
      tx.fail(t, 0);
      msgReset();
      msgStr("internal error: the core is waiting with nothing in flight");
      break;
    }
  }
  sent = <u64>tx.sent(t);
  tx.finish(t);
  if (input >= 0) w.dropInputStream(input);

  if (ok) {
    // Completion means the bytes left the stream's buffer: until then they may still fail.
    w.outputBlockingFlush(out, RET);
    if (load<u8>(RET) != 0) {
      streamFailure("flush: ", 4);
      return false;
    }
  }
  return ok;
}

// Appends " (N bytes sent)" to the message.
export function msgSent(): void {
  msgStr(" (");
  msgU64(sent);
  msgStr(sent == 1 ? " byte sent)" : " bytes sent)");
}
