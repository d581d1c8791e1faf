// Guest memory for the WASI components, besides the core's pool: the canonical ABI's
// cabi_realloc, return areas, and a byte buffer for messages.
//
// Invariants:
// - Nothing here uses the AssemblyScript heap: the core's pool (wasm/pool.ts) lays itself out
//   from __heap_base, so any `new`, string concatenation or array here would overwrite it. All
//   storage is static (memory.data) or pages grown past the pool.
// - While a slot is armed, the next cabi_realloc hands out that slot, so the bytes of a
//   blocking-read land where the core wants them with no copy. The slot is offered with its full
//   capacity: a host that returns more than was asked still lands in memory we own, and the
//   core's readDone then fails the transfer (FAIL_PROTOCOL) instead of counting the excess.
// - Every other allocation comes from a bump arena reset at the start of each exported call;
//   strings and lists the host lifts into the guest live until then.
// - Message text is ASCII built byte by byte (AssemblyScript strings are UTF-16 objects).

const ARENA_SIZE: i32 = 32768;
const arena: usize = memory.data(ARENA_SIZE, 16);
let arenaTop: usize = arena;

let armedPtr: usize = 0;
let armedCap: usize = 0;

// Return areas, one per nesting level in use at a time; 128 bytes cover every layout we read.
export const RET: usize = memory.data(128, 8);
export const RET2: usize = memory.data(128, 8);

export function resetArena(): void { arenaTop = arena; }

export function arm(ptr: usize, cap: usize): void { armedPtr = ptr; armedCap = cap; }
export function disarm(): void { armedPtr = 0; armedCap = 0; }

export function alloc(size: usize, align: usize): usize {
  if (align == 0) align = 1;
  const p = (arenaTop + align - 1) & ~(align - 1);
  if (p + size <= arena + <usize>ARENA_SIZE) {
    arenaTop = p + size;
    return p;
  }
  // A list larger than the arena (long arguments, many preopens): fresh pages past everything
  // else. They are not reused; this only happens for inputs the user chose to make huge.
  const pages = <i32>((size + 65535) >> 16);
  const old = memory.grow(pages);
  if (old < 0) unreachable();
  return <usize>old << 16;
}

export function cabi_realloc(oldPtr: usize, oldSize: usize, align: usize, newSize: usize): usize {
  if (armedPtr != 0 && oldPtr == 0) {
    if (newSize <= armedCap) {
      const p = armedPtr;
      disarm();
      return p;
    }
    disarm();
  }
  const p = alloc(newSize, align);
  if (oldPtr != 0 && oldSize != 0) memory.copy(p, oldPtr, oldSize < newSize ? oldSize : newSize);
  return p;
}

// --- messages -----------------------------------------------------------------------------

const MSG_CAP: i32 = 1024;
export const msg: usize = memory.data(MSG_CAP);
let msgLen: i32 = 0;

export function msgReset(): void { msgLen = 0; }
export function msgLength(): i32 { return msgLen; }

export function msgByte(b: i32): void {
  if (msgLen < MSG_CAP) { store<u8>(msg + <usize>msgLen, <u8>b); msgLen++; }
}

// ASCII literals only; anything else would be mangled, which is why callers pass literals.
export function msgStr(s: string): void {
  for (let i = 0; i < s.length; i++) msgByte(s.charCodeAt(i));
}

export function msgBytes(ptr: usize, len: usize): void {
  for (let i: usize = 0; i < len; i++) msgByte(load<u8>(ptr + i));
}

export function msgU64(n: u64): void {
  const digits = memory.data(24);
  let i = 0;
  do {
    store<u8>(digits + <usize>i, <u8>(48 + <i32>(n % 10)));
    n /= 10;
    i++;
  } while (n != 0);
  while (i > 0) { i--; msgByte(load<u8>(digits + <usize>i)); }
}
