// The core's export list for JavaScript hosts: this file is the ABI. 64-bit quantities cross as
// f64 (exact up to 2^53 - 1, the largest offset or count the API accepts) because i64 would
// cost a BigInt conversion on every call of the per-chunk hot path.
//
// Invariants: the core imports nothing; every export is total over valid transfer ids and
// traps (unreachable) only on host bugs such as reporting a slot the transfer does not hold.

import * as pool from "./pool";
import * as tx from "./transfer";

export function configure(
  transfers: i32, slots: i32, slotSize: i32, depth: i32, syncLimit: i32, asyncChunk: i32,
): i32 {
  return pool.configure(transfers, slots, slotSize, depth, syncLimit, asyncChunk);
}
export function slotPtr(s: i32): usize { return pool.slotPtr(s); }
export function slotCount(): i32 { return pool.slotCount; }
export function slotSize(): i32 { return pool.slotSize; }
export function maxTransfers(): i32 { return pool.maxTransfers; }
export function freeSlots(): i32 { return pool.freeSlots(); }
export function queueLength(): i32 { return pool.queueLength(); }
export function takeWake(): i32 { return pool.takeWake(); }

export function begin(offset: f64, count: f64, size: f64, flags: i32): i32 {
  return tx.begin(<i64>offset, <i64>count, <i64>size, flags);
}
export function next(t: i32): i32 { return tx.next(t); }
export function actOffset(): f64 { return <f64>tx.actionOffset(); }
export function actLength(): i32 { return tx.actionLength(); }
export function actSlot(): i32 { return tx.actionSlot(); }

export function sendfileDone(t: i32, n: f64): void { tx.sendfileDone(t, <i64>n); }
export function sendfileAgain(t: i32): void { tx.sendfileAgain(t); }
export function sendfileError(t: i32): void { tx.sendfileError(t); }
export function readDone(t: i32, s: i32, n: i32): void { tx.readDone(t, s, n); }
export function readFailed(t: i32, s: i32): void { tx.readFailed(t, s); }
export function writeDone(t: i32, s: i32): void { tx.writeDone(t, s); }
export function writeFailed(t: i32, s: i32, accepted: i32): void { tx.writeFailed(t, s, accepted); }
export function writeDetach(t: i32, s: i32): void { tx.writeDetach(t, s); }
export function detachedWriteDone(t: i32, n: i32): void { tx.detachedWriteDone(t, n); }
export function detachedWriteFailed(t: i32, n: i32): void { tx.detachedWriteFailed(t, n); }
export function fail(t: i32, code: i32): void { tx.fail(t, code); }
export function finish(t: i32): void { tx.finish(t); }

export function sent(t: i32): f64 { return <f64>tx.sent(t); }
export function reported(t: i32): f64 { return <f64>tx.reported(t); }
export function position(t: i32): f64 { return <f64>tx.position(t); }
export function failure(t: i32): i32 { return tx.failure(t); }
export function mode(t: i32): i32 { return tx.mode(t); }
export function nativeSent(t: i32): f64 { return <f64>tx.nativeSent(t); }
export function held(t: i32): i32 { return tx.held(t); }
export function active(t: i32): bool { return tx.active(t); }
