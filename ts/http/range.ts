// Range requests (RFC 9110 section 14) and multipart/byteranges bodies (RFC 9110 14.6).
//
// Invariants:
// - A Range header that is not `bytes=` with a valid range-set is ignored (the full 200).
// - More than `maxRanges` ranges, overlapping ranges, or a multipart body larger than twice the
//   file are ignored too: the answer is never much larger than the file (Apache CVE-2011-3192).
// - Numbers too large to be exact are clamped, never wrapped (nginx CVE-2017-7529): a first
//   position past the end is unsatisfiable, a last position past it means the end.
// - No satisfiable range at all: 416 with `Content-Range: bytes */size`.
// - A multipart plan's `length` is exactly the bytes its parts and delimiters add up to.

/** An inclusive byte range, as in Content-Range. */
export interface ByteRange { start: number; end: number }

export type RangeDecision =
  | { kind: 'full' }
  | { kind: 'unsatisfiable' }
  | { kind: 'ranges'; ranges: ByteRange[] };

export const DEFAULT_MAX_RANGES = 16;

const DIGITS = /^\d+$/;
// Beyond 15 digits a number may not be exact as a double: treat it as "larger than any file".
const big = (s: string): number => (s.length > 15 ? Infinity : Number(s));

/** Decides what a Range header asks of a representation of `size` bytes. */
export function decideRange(header: string | undefined, size: number, maxRanges = DEFAULT_MAX_RANGES): RangeDecision {
  if (header === undefined) return { kind: 'full' };
  const eq = header.indexOf('=');
  if (eq < 0 || header.slice(0, eq).trim().toLowerCase() !== 'bytes') return { kind: 'full' };
  const specs = header.slice(eq + 1).split(',');
  // Counted before anything is parsed, so a thousand ranges cost one split.
  if (specs.length > maxRanges * 2) return { kind: 'full' };
  const ranges: ByteRange[] = [];
  let any = false;
  for (const raw of specs) {
    const spec = raw.trim();
    if (spec === '') continue; // empty list elements are allowed (RFC 9110 5.6.1.2)
    any = true;
    const dash = spec.indexOf('-');
    if (dash < 0) return { kind: 'full' };
    const a = spec.slice(0, dash);
    const b = spec.slice(dash + 1);
    if (a === '') {
      if (!DIGITS.test(b)) return { kind: 'full' };
      const suffix = big(b);
      if (suffix > 0 && size > 0) ranges.push({ start: Math.max(0, size - suffix), end: size - 1 });
      continue;
    }
    if (!DIGITS.test(a) || (b !== '' && !DIGITS.test(b))) return { kind: 'full' };
    const first = big(a);
    const last = b === '' ? Infinity : big(b);
    if (last < first) return { kind: 'full' }; // invalid int-range: the whole header is invalid
    if (first < size) ranges.push({ start: first, end: Math.min(last, size - 1) });
  }
  if (!any) return { kind: 'full' };
  if (ranges.length === 0) return { kind: 'unsatisfiable' };
  if (ranges.length > maxRanges) return { kind: 'full' };
  if (ranges.length > 1) {
    const sorted = [...ranges].sort((x, y) => x.start - y.start);
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i].start <= sorted[i - 1].end) return { kind: 'full' };
    }
  }
  return { kind: 'ranges', ranges };
}

/** One part of a multipart/byteranges body: its header block, then the range's bytes. */
export interface Part { head: Buffer; range: ByteRange }

export interface MultipartPlan { boundary: string; parts: Part[]; tail: Buffer; length: number }

let counter = 0;
function boundaryText(): string {
  // Unique per response within a process; need not be secret, only absent from the parts.
  counter = (counter + 1) % 0x7fffffff;
  return `sock-sendfile-${process.pid.toString(16)}-${Date.now().toString(16)}-${counter.toString(16)}`;
}

/**
 * The multipart/byteranges body for `ranges`, or null when it would exceed twice the file
 * (then the caller serves the whole file).
 */
export function planMultipart(ranges: ByteRange[], size: number, contentType: string | null): MultipartPlan | null {
  const boundary = boundaryText();
  const type = contentType ? `Content-Type: ${contentType}\r\n` : '';
  let length = 0;
  const parts: Part[] = [];
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i];
    const head = Buffer.from(`${i === 0 ? '' : '\r\n'}--${boundary}\r\n${type}Content-Range: bytes ${r.start}-${r.end}/${size}\r\n\r\n`, 'latin1');
    parts.push({ head, range: r });
    length += head.length + (r.end - r.start + 1);
  }
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1');
  length += tail.length;
  if (length > 2 * size) return null;
  return { boundary, parts, tail, length };
}
