// Response headers for a file: type, caching, validators, encodings.
//
// Invariants:
// - The media type comes from the `mime-types` package (a maintained database), never from a
//   table of our own; unknown extensions are application/octet-stream.
// - Header names are lower case, in one plain object, so Node can write them in one go and
//   HTTP/2 can take the same object.
// - Content-Length is always set for a body (never chunked); 304 carries no Content-Length.

import mime from 'mime-types';
import { extname } from 'node:path';
import { httpTypeError, httpValueError } from './errors.js';

export type Headers = Record<string, string | number | string[]>;

const typeCache = new Map<string, string>();

/** Content-Type for a file name, from its extension; charset added for text types. */
export function contentTypeFor(name: string): string {
  const ext = extname(name).toLowerCase();
  let t = typeCache.get(ext);
  if (t === undefined) {
    t = (ext && mime.contentType(ext)) || 'application/octet-stream';
    if (typeCache.size < 1024) typeCache.set(ext, t);
  }
  return t;
}

export interface CacheOptions {
  /** max-age in milliseconds (as in send and serve-static), rounded down to seconds. Default 0. */
  maxAge?: number;
  /** Adds `immutable` to Cache-Control. */
  immutable?: boolean;
  /** A literal Cache-Control value, or false for none; overrides maxAge/immutable. */
  cacheControl?: string | false;
}

/** The Cache-Control value, or null when none should be sent. */
export function cacheControlFor(o: CacheOptions): string | null {
  if (o.cacheControl === false) return null;
  if (typeof o.cacheControl === 'string') return o.cacheControl;
  const maxAge = o.maxAge ?? 0;
  if (typeof maxAge !== 'number' || !Number.isFinite(maxAge) || maxAge < 0) {
    throw httpValueError(`maxAge must be a non-negative number of milliseconds (got ${String(maxAge)})`);
  }
  return `public, max-age=${Math.floor(maxAge / 1000)}${o.immutable ? ', immutable' : ''}`;
}

/** Encodings we can serve from precompressed siblings, in order of preference. */
export const ENCODINGS = { br: '.br', gzip: '.gz' } as const;
export type Encoding = keyof typeof ENCODINGS;

/** Which precompressed encodings an option value enables. */
export function precompressedList(v: unknown): Encoding[] {
  if (v === undefined || v === false) return [];
  if (v === true) return ['br', 'gzip'];
  if (Array.isArray(v) && v.every((e) => e === 'br' || e === 'gzip')) return v as Encoding[];
  throw httpTypeError(`precompressed must be a boolean or an array of 'br' and 'gzip' (got ${String(v)})`);
}

/** The encodings the client accepts with q > 0, among `offered`, in our order of preference. */
export function acceptedEncodings(header: string | undefined, offered: Encoding[]): Encoding[] {
  if (!header || offered.length === 0) return [];
  const q = new Map<string, number>();
  for (const item of header.split(',').slice(0, 32)) {
    const [name, ...params] = item.trim().toLowerCase().split(';');
    let weight = 1;
    for (const p of params) {
      const m = /^\s*q=([01](?:\.\d{0,3})?)\s*$/.exec(p);
      if (m) weight = Number(m[1]);
    }
    q.set(name.trim(), weight);
  }
  const star = q.get('*');
  return offered.filter((e) => (q.get(e) ?? (e === 'gzip' ? q.get('x-gzip') : undefined) ?? star ?? 0) > 0);
}

/** A short text body for a status we answer ourselves (errors, redirects). */
export function statusBody(status: number, message: string): { headers: Headers; body: Buffer } {
  const body = Buffer.from(`${message}\n`, 'utf8');
  return {
    body,
    headers: {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': body.length,
      'content-security-policy': "default-src 'none'",
      'x-content-type-options': 'nosniff',
    },
  };
}
