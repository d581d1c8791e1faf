// Byte strings as the host lifts them (UTF-8, in the arena): comparison and number parsing for
// the command's arguments.
//
// Invariants:
// - Nothing allocates; every function reads the bytes in place (mem.ts says why the AssemblyScript
//   heap is off limits).
// - parseU64 accepts plain decimal digits only and never wraps; its value is left in `parsed`,
//   since a tuple or an object would need the heap.

export function eq(ptr: usize, len: usize, lit: string): bool {
  if (len != <usize>lit.length) return false;
  for (let i: usize = 0; i < len; i++) {
    if (<i32>load<u8>(ptr + i) != lit.charCodeAt(<i32>i)) return false;
  }
  return true;
}

export function startsWith(ptr: usize, len: usize, lit: string): bool {
  if (len < <usize>lit.length) return false;
  return eq(ptr, <usize>lit.length, lit);
}

export let parsed: u64 = 0;

// Decimal u64 with no sign, no spaces and no overflow.
export function parseU64(ptr: usize, len: usize): bool {
  if (len == 0) return false;
  let v: u64 = 0;
  for (let i: usize = 0; i < len; i++) {
    const c = <i32>load<u8>(ptr + i) - 48;
    if (c < 0 || c > 9) return false;
    if (v > (u64.MAX_VALUE - <u64>c) / 10) return false;
    v = v * 10 + <u64>c;
  }
  parsed = v;
  return true;
}


export function eqBytes(a: usize, b: usize, len: usize): bool {
  for (let i: usize = 0; i < len; i++) if (load<u8>(a + i) != load<u8>(b + i)) return false;
  return true;
}

export function hexDigit(c: i32): i32 {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}
