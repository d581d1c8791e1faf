// Fixed memory for every transfer at once: the transfer table, the buffer slots and the queue
// of transfers waiting for a slot.
//
// Invariants:
// - Memory is laid out once, by configure(), and never grows afterwards: hosts keep views over
//   memory.buffer for the life of the process (memory.grow would detach them).
// - A slot is in exactly one of: the free stack, or held by one transfer (READING, FILLED or
//   WRITING). freeCount + sum(held) == slotCount at every step. A write the host copied out of
//   its slot (writeDetach) holds no slot, so a sink that stops draining keeps copies, not slots.
// - A transfer is in the wait queue at most once, and only while it wants a slot it lacks.
// - Slots go to waiters in arrival order: a transfer may take a free slot only when nobody is
//   queued ahead of it, so a busy transfer cannot starve the others.

import {
  DEFAULT_ASYNC_CHUNK, DEFAULT_DEPTH, DEFAULT_MAX_TRANSFERS, DEFAULT_SLOTS, DEFAULT_SLOT_SIZE,
  DEFAULT_SYNC_LIMIT, NO_WAKE,
} from "./abi";

export const SLOT_FREE: i32 = 0;
export const SLOT_READING: i32 = 1;
export const SLOT_FILLED: i32 = 2;
export const SLOT_WRITING: i32 = 3;

// One transfer entry, laid over linear memory (no allocator, no GC).
@unmanaged
export class Transfer {
  state: i32;      // see STATE_* in transfer.ts
  mode: i32;       // MODE_NATIVE or MODE_BUFFERED
  flags: i32;      // FLAG_* from abi.ts
  failure: i32;    // FAIL_* from abi.ts, once failed
  held: i32;       // slots held (any state but FREE)
  reading: i32;    // slot with a read in flight, or -1
  filled: i32;     // slot read and not yet handed out for writing, or -1
  queued: i32;     // 1 while in the wait queue
  finished: i32;   // 1 once the host called finish(); the entry frees when held == 0 too
  nativeBusy: i32; // 1 while a sendfile call is outstanding
  writeThrough: i32; // 1 when native hit EAGAIN: the next piece goes through a slot
  nativeLen: i32;  // length asked of the outstanding sendfile
  offset: i64;     // where the transfer started
  end: i64;        // exclusive end: min(offset + count, size) where known
  cursor: i64;     // next file position to read or sendfile
  sent: i64;       // bytes whose write completed (or that sendfile moved)
  inflight: i64;   // bytes handed to the sink whose write has not completed
  nativeSent: i64; // bytes moved by sendfile itself (for the native-share counter)
  eof: i32;        // 1 once a read or sendfile returned 0
  first: i32;      // 1 until the first sendfile attempt has been issued
  writing: i32;    // writes handed out and not yet reported, whether detached from a slot or not
}

// Configuration, fixed by configure().
export let maxTransfers: i32 = 0;
export let slotCount: i32 = 0;
export let slotSize: i32 = 0;
export let depth: i32 = 0;
export let syncLimit: i32 = 0;
export let asyncChunk: i32 = 0;

let table: usize = 0;      // maxTransfers Transfer entries
let slotOwner: usize = 0;  // i32 per slot: owning transfer or -1
let slotState: usize = 0;  // i32 per slot: SLOT_*
let slotLen: usize = 0;    // i32 per slot: bytes asked (READING) or held (FILLED, WRITING)
let freeStack: usize = 0;  // i32 per slot
let freeCount: i32 = 0;
let queue: usize = 0;      // ring of i32 transfer ids, maxTransfers long
let qHead: i32 = 0;
let qLen: i32 = 0;
let slotsBase: usize = 0;  // slotCount * slotSize bytes of buffers
let pendingWake: i32 = NO_WAKE;

const ENTRY: usize = offsetof<Transfer>();

// Lays out memory for the given sizes. Returns 0, or -1 when called twice or with nonsense
// sizes, or -2 when memory cannot grow that far. Zero for any argument means its default.
export function configure(
  transfers: i32, slots: i32, size: i32, perTransfer: i32, sync: i32, chunk: i32,
): i32 {
  if (table != 0) return -1;
  if (transfers < 0 || slots < 0 || size < 0 || perTransfer < 0 || sync < 0 || chunk < 0) return -1;
  maxTransfers = transfers != 0 ? transfers : DEFAULT_MAX_TRANSFERS;
  slotCount = slots != 0 ? slots : DEFAULT_SLOTS;
  slotSize = size != 0 ? size : DEFAULT_SLOT_SIZE;
  depth = perTransfer != 0 ? perTransfer : DEFAULT_DEPTH;
  syncLimit = sync != 0 ? sync : DEFAULT_SYNC_LIMIT;
  asyncChunk = chunk != 0 ? chunk : DEFAULT_ASYNC_CHUNK;
  if (depth > slotCount) depth = slotCount;
  // The layout below is computed in 32 bits: refuse sizes whose product would wrap.
  if (<u64>slotCount * <u64>slotSize > 0x80000000) { table = 0; return -1; }

  let at: usize = (__heap_base + 15) & ~15;
  table = at; at += ENTRY * <usize>maxTransfers;
  at = (at + 15) & ~15;
  slotOwner = at; at += 4 * <usize>slotCount;
  slotState = at; at += 4 * <usize>slotCount;
  slotLen = at; at += 4 * <usize>slotCount;
  freeStack = at; at += 4 * <usize>slotCount;
  queue = at; at += 4 * <usize>maxTransfers;
  at = (at + 65535) & ~65535; // slots start on a page: hosts like aligned views
  slotsBase = at; at += <usize>slotCount * <usize>slotSize;

  const have = <usize>memory.size() << 16;
  if (at > have) {
    const pages = <i32>((at - have + 65535) >> 16);
    if (memory.grow(pages) < 0) { table = 0; return -2; }
  }
  memory.fill(table, 0, slotsBase - table);
  for (let i = 0; i < maxTransfers; i++) {
    const e = entry(i);
    e.reading = -1;
    e.filled = -1;
  }
  for (let s = 0; s < slotCount; s++) {
    store<i32>(slotOwner + (<usize>s << 2), -1);
    store<i32>(freeStack + (<usize>s << 2), slotCount - 1 - s);
  }
  freeCount = slotCount;
  return 0;
}

export function configured(): bool { return table != 0; }

// @ts-ignore: decorator
@inline export function entry(t: i32): Transfer {
  return changetype<Transfer>(table + ENTRY * <usize>t);
}

export function slotPtr(s: i32): usize { return slotsBase + <usize>s * <usize>slotSize; }
export function slotStateOf(s: i32): i32 { return load<i32>(slotState + (<usize>s << 2)); }
export function slotOwnerOf(s: i32): i32 { return load<i32>(slotOwner + (<usize>s << 2)); }
export function slotLenOf(s: i32): i32 { return load<i32>(slotLen + (<usize>s << 2)); }
export function setSlot(s: i32, state: i32, len: i32): void {
  store<i32>(slotState + (<usize>s << 2), state);
  store<i32>(slotLen + (<usize>s << 2), len);
}
export function freeSlots(): i32 { return freeCount; }

// Takes a free slot for t, or queues t and returns -1. Arrival order is kept: t may only take a
// slot when the queue is empty or t is at its head.
export function acquire(t: i32): i32 {
  const e = entry(t);
  const atHead = qLen > 0 && load<i32>(queue + (<usize>qHead << 2)) == t;
  if (freeCount == 0 || (qLen > 0 && !atHead)) {
    if (!e.queued) enqueue(t);
    return -1;
  }
  if (atHead) dequeueHead();
  freeCount--;
  const s = load<i32>(freeStack + (<usize>freeCount << 2));
  store<i32>(slotOwner + (<usize>s << 2), t);
  e.held++;
  if (freeCount > 0 && qLen > 0) pendingWake = load<i32>(queue + (<usize>qHead << 2));
  return s;
}

// Returns slot s to the free stack and wakes the first waiter, if any.
export function release(s: i32): void {
  const owner = slotOwnerOf(s);
  if (owner < 0) unreachable(); // double release: a host bug the tests must catch
  entry(owner).held--;
  store<i32>(slotOwner + (<usize>s << 2), -1);
  setSlot(s, SLOT_FREE, 0);
  store<i32>(freeStack + (<usize>freeCount << 2), s);
  freeCount++;
  if (qLen > 0) pendingWake = load<i32>(queue + (<usize>qHead << 2));
}

function enqueue(t: i32): void {
  store<i32>(queue + (<usize>((qHead + qLen) % maxTransfers) << 2), t);
  qLen++;
  entry(t).queued = 1;
}

function dequeueHead(): void {
  entry(load<i32>(queue + (<usize>qHead << 2))).queued = 0;
  qHead = (qHead + 1) % maxTransfers;
  qLen--;
}

// Removes t from the queue wherever it stands (abort, failure).
export function unqueue(t: i32): void {
  const e = entry(t);
  if (!e.queued) return;
  let kept = 0;
  for (let i = 0; i < qLen; i++) {
    const id = load<i32>(queue + (<usize>((qHead + i) % maxTransfers) << 2));
    if (id != t) {
      store<i32>(queue + (<usize>((qHead + kept) % maxTransfers) << 2), id);
      kept++;
    }
  }
  qLen = kept;
  e.queued = 0;
  if (pendingWake == t) pendingWake = NO_WAKE;
  if (freeCount > 0 && qLen > 0) pendingWake = load<i32>(queue + (<usize>qHead << 2));
}

// The transfer the host should pump next because a slot became free for it, once.
export function takeWake(): i32 {
  const w = pendingWake;
  pendingWake = NO_WAKE;
  return w;
}

export function queueLength(): i32 { return qLen; }
