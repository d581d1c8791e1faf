// The content rule of every soak file, so that a receiver can check each byte it gets without
// holding the file: byte p of the file with key k is BLOCK[(p + phase(k)) mod PERIOD].
//
// Invariants:
// - PERIOD is a prime (1,048,573), so a gap or a duplicate of any length the library can
//   produce (a multiple of a slot, of the 2 MiB first sendfile, of a page) is never a multiple
//   of it and shows up as wrong bytes; only a slip of exactly k * PERIOD bytes would not.
// - Two keys have different phases, so bytes of the wrong file are wrong bytes.
// - A file extended during a transfer is extended with its own pattern, so every byte below the
//   new size stays defined; a truncation only removes bytes.
import { closeSync, openSync, writeSync } from 'node:fs';

export const PERIOD = 1_048_573;

// Two periods back to back: any window of up to PERIOD bytes is one contiguous view.
const BLOCK = (() => {
  const b = Buffer.allocUnsafe(2 * PERIOD);
  let s = 0x9e3779b9;
  for (let i = 0; i < PERIOD; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    b[i] = s & 0xff;
  }
  b.copy(b, PERIOD, 0, PERIOD);
  return b;
})();

export function phase(key) { return (key * 104_729) % PERIOD; }

/** The expected bytes [pos, pos + len) of file `key`, as views of at most PERIOD bytes each. */
export function* expected(key, pos, len) {
  while (len > 0) {
    const at = (pos + phase(key)) % PERIOD;
    const n = Math.min(len, PERIOD);
    yield BLOCK.subarray(at, at + n);
    pos += n;
    len -= n;
  }
}

/**
 * Index of the first byte of `chunk` that differs from file `key` at `pos`, or -1. From file
 * position `zeroFrom` on, a zero byte is accepted too: bytes a zero-copy sendfile queued
 * before the file was truncated there reach the peer as zeros (README, Semantics).
 */
export function firstMismatch(key, pos, chunk, zeroFrom = Infinity) {
  let done = 0;
  for (const want of expected(key, pos, chunk.length)) {
    const got = chunk.subarray(done, done + want.length);
    if (!got.equals(want)) {
      for (let i = 0; i < want.length; i++) {
        if (got[i] !== want[i] && !(got[i] === 0 && pos + done + i >= zeroFrom)) return done + i;
      }
    }
    done += want.length;
  }
  return -1;
}

/** Writes bytes [from, to) of file `key`'s pattern at their own positions in `fd`. */
export function writePattern(fd, key, from, to) {
  for (const piece of expected(key, from, to - from)) {
    let off = 0;
    while (off < piece.length) off += writeSync(fd, piece, off, piece.length - off, from + off);
    from += piece.length;
  }
}

/** Creates `path` holding `size` bytes of file `key`'s pattern. */
export function makePatternFile(path, key, size) {
  const fd = openSync(path, 'w');
  try { writePattern(fd, key, 0, size); } finally { closeSync(fd); }
}
