// Validators and conditional requests (RFC 9110 sections 8.8 and 13).
//
// Invariants:
// - ETags are strong: `"<size hex>-<mtime µs hex>"` plus a suffix per encoding, so a precompressed
//   variant never shares a tag with the identity file. Strong, because If-Range and If-Match
//   accept only strong validators, and byte ranges need them to be safe to combine.
// - Last-Modified is compared at one-second granularity (what the header can carry).
// - Precondition order is RFC 9110 13.2.2: If-Match, else If-Unmodified-Since; then
//   If-None-Match, else If-Modified-Since. A malformed date is ignored (13.1.3, 13.1.4).
// - If-Range (13.1.5) matches only a strong ETag or a date exactly equal to Last-Modified.

/** Per-file validators, computed once per response from fstat. */
export interface Validators {
  /** The ETag header value, or null when ETags are off. */
  etag: string | null;
  /** Last-Modified in ms since the epoch, whole seconds; NaN when off. */
  lastModified: number;
  /** The Last-Modified header value, or null when off. */
  lastModifiedText: string | null;
}

// Formatting a timestamp costs about 0.45 µs (a double's hex, a Date's text) per response; the
// same files' timestamps repeat, so each text is kept, in a map emptied when it grows too big.
const MEMO_MAX = 4096;
function memo(map: Map<number, string>, key: number, make: (k: number) => string): string {
  let v = map.get(key);
  if (v === undefined) {
    if (map.size >= MEMO_MAX) map.clear();
    map.set(key, (v = make(key)));
  }
  return v;
}
const microsHex = new Map<number, string>();
const dates = new Map<number, string>();
const hexOfMicros = (ms: number): string => Math.floor(ms * 1000).toString(16);
const imfDate = (ms: number): string => new Date(ms).toUTCString();

export function strongEtag(size: number, mtimeMs: number, suffix = ''): string {
  return `"${size.toString(16)}-${memo(microsHex, mtimeMs, hexOfMicros)}${suffix}"`;
}

/** The IMF-fixdate of `ms` (whole seconds). */
export function httpDate(ms: number): string {
  return memo(dates, ms, imfDate);
}

const MONTHS: Record<string, number> = {
  Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11,
};
// The three forms of RFC 9110 5.6.7: IMF-fixdate, obsolete RFC 850, asctime.
const IMF = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d\d) ([A-Z][a-z]{2}) (\d{4}) (\d\d):(\d\d):(\d\d) GMT$/;
const RFC850 = /^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\d\d)-([A-Z][a-z]{2})-(\d\d) (\d\d):(\d\d):(\d\d) GMT$/;
const ASCTIME = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2}) ([ \d]\d) (\d\d):(\d\d):(\d\d) (\d{4})$/;

function utc(year: number, mon: string, day: number, h: number, m: number, s: number): number {
  const month = MONTHS[mon];
  if (month === undefined || day < 1 || day > 31 || h > 23 || m > 59 || s > 60) return NaN;
  return Date.UTC(year, month, day, h, m, s);
}

/** An HTTP-date in ms since the epoch, or NaN when it is not one (then the header is ignored). */
export function parseHttpDate(text: string | undefined): number {
  if (!text || text.length > 64) return NaN;
  let m = IMF.exec(text);
  if (m) return utc(+m[3], m[2], +m[1], +m[4], +m[5], +m[6]);
  m = RFC850.exec(text);
  if (m) {
    // Two-digit years: within 50 years of now (RFC 9110 5.6.7).
    const yy = +m[3];
    const now = new Date().getUTCFullYear();
    let year = Math.floor(now / 100) * 100 + yy;
    if (year > now + 50) year -= 100;
    return utc(year, m[2], +m[1], +m[4], +m[5], +m[6]);
  }
  m = ASCTIME.exec(text);
  if (m) return utc(+m[6], m[1], +m[2].trim(), +m[3], +m[4], +m[5]);
  return NaN;
}

/** Entity tags of a list header (If-Match, If-None-Match); '*' alone is returned as ['*']. */
function etagList(header: string): string[] {
  const out: string[] = [];
  const re = /\s*(\*|(?:W\/)?"[^"]*")\s*(?:,|$)/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < header.length && (m = re.exec(header))) out.push(m[1]);
  return out;
}

const opaque = (tag: string): string => (tag.startsWith('W/') ? tag.slice(2) : tag);

function matchesStrong(header: string, etag: string | null): boolean {
  for (const t of etagList(header)) {
    if (t === '*') return true;
    if (etag !== null && !t.startsWith('W/') && t === etag) return true;
  }
  return false;
}

function matchesWeak(header: string, etag: string | null): boolean {
  for (const t of etagList(header)) {
    if (t === '*') return true;
    if (etag !== null && opaque(t) === opaque(etag)) return true;
  }
  return false;
}

type HeaderBag = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v.join(', ') : v);

/** What the preconditions decide: serve (200/206), 304 Not Modified or 412 Precondition Failed. */
export function evaluatePreconditions(method: string, headers: HeaderBag, v: Validators): 'serve' | 304 | 412 {
  const ifMatch = one(headers['if-match']);
  if (ifMatch !== undefined) {
    if (!matchesStrong(ifMatch, v.etag)) return 412;
  } else {
    const since = parseHttpDate(one(headers['if-unmodified-since']));
    if (!Number.isNaN(since) && !Number.isNaN(v.lastModified) && v.lastModified > since) return 412;
  }
  const getOrHead = method === 'GET' || method === 'HEAD';
  const ifNoneMatch = one(headers['if-none-match']);
  if (ifNoneMatch !== undefined) {
    if (matchesWeak(ifNoneMatch, v.etag)) return getOrHead ? 304 : 412;
  } else if (getOrHead) {
    const since = parseHttpDate(one(headers['if-modified-since']));
    if (!Number.isNaN(since) && !Number.isNaN(v.lastModified) && v.lastModified <= since) return 304;
  }
  return 'serve';
}

/** Whether a Range header may be honoured under If-Range (absent If-Range: yes). */
export function ifRangeAllows(headers: HeaderBag, v: Validators): boolean {
  const ifRange = one(headers['if-range'])?.trim();
  if (ifRange === undefined) return true;
  if (ifRange.startsWith('"') || ifRange.startsWith('W/')) {
    return v.etag !== null && !ifRange.startsWith('W/') && ifRange === v.etag;
  }
  const date = parseHttpDate(ifRange);
  return !Number.isNaN(date) && date === v.lastModified;
}
