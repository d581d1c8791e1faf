// The core's export list for the preview1 C shell (wasi/preview1/main.c), linked into one
// module with it by wasm-merge. Same state machine as every other host (wasm/transfer.ts);
// only the calling convention differs from wasm/index.ts: 64-bit quantities cross as i64,
// which C takes as int64_t at no cost (no JS BigInt on this side).
//
// Invariants:
// - Compiled with --importMemory: the core lives in the C module's memory, below the C side's
//   data, stack and heap (wasi/build.sh places both, and main.c checks at
//   start that the two regions do not overlap), so C reads and writes the core's slots by
//   plain pointers.
// - No imports but that memory, no start function, no heap use: the C side owns the process.

import * as pool from "../../wasm/pool";
import * as tx from "../../wasm/transfer";

export function core_configure(transfers: i32, slots: i32, slotSize: i32, depth: i32): i32 {
  return pool.configure(transfers, slots, slotSize, depth, 0, 0);
}
// One past the last byte the core uses: the C side checks it stays below its own memory.
export function core_end(): usize { return pool.slotPtr(pool.slotCount); }
export function core_slot_ptr(s: i32): usize { return pool.slotPtr(s); }
export function core_begin(offset: i64, count: i64, size: i64, flags: i32): i32 {
  return tx.begin(offset, count, size, flags);
}
export function core_next(t: i32): i32 { return tx.next(t); }
export function core_act_offset(): i64 { return tx.actionOffset(); }
export function core_act_length(): i32 { return tx.actionLength(); }
export function core_act_slot(): i32 { return tx.actionSlot(); }
export function core_read_done(t: i32, s: i32, n: i32): void { tx.readDone(t, s, n); }
export function core_read_failed(t: i32, s: i32): void { tx.readFailed(t, s); }
export function core_write_done(t: i32, s: i32): void { tx.writeDone(t, s); }
export function core_write_failed(t: i32, s: i32, accepted: i32): void { tx.writeFailed(t, s, accepted); }
export function core_fail(t: i32, code: i32): void { tx.fail(t, code); }
export function core_finish(t: i32): void { tx.finish(t); }
export function core_sent(t: i32): i64 { return tx.sent(t); }
export function core_failure(t: i32): i32 { return tx.failure(t); }
