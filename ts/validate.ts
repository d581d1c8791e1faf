// Argument checks shared by every runtime: count and offset kinds and ranges, and the rendering
// of a bad value in messages (Python's repr where JavaScript has an equivalent). Synchronous,
// no I/O: the API runs them before anything touches the socket or the file.

import { rangeError, typeError } from './errors.js';

export type Inspect = (v: unknown) => string;

/** A small stand-in for util.inspect where node:util does not exist (web runtimes). */
export function basicInspect(v: unknown): string {
  if (typeof v === 'function') return `[Function: ${v.name || '(anonymous)'}]`;
  if (typeof v === 'symbol') return v.toString();
  if (Array.isArray(v)) return `[ ${v.map(basicInspect).join(', ')} ]`;
  if (v !== null && typeof v === 'object') {
    const name = Object.getPrototypeOf(v)?.constructor?.name;
    try {
      const body = JSON.stringify(v);
      return name && name !== 'Object' ? `${name} ${body}` : body;
    } catch {
      return `[object ${name || 'Object'}]`;
    }
  }
  return String(v);
}

/** Renders a value as in the contract's messages: 'x', -1, 1.5, NaN, null, -1n, ... */
export function repr(v: unknown, inspect: Inspect = basicInspect): string {
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (v === null || v === undefined || typeof v === 'boolean') return String(v);
  return inspect(v);
}

const MAX = Number.MAX_SAFE_INTEGER;

function integer(name: string, v: unknown, min: number, what: string, inspect: Inspect): number {
  const message = `${name} must be ${what} (got ${repr(v, inspect)})`;
  if (typeof v === 'bigint') {
    if (v < BigInt(min) || v > BigInt(MAX)) throw rangeError(message);
    return Number(v);
  }
  if (typeof v !== 'number' || !Number.isInteger(v)) throw typeError(message);
  if (v < min || v > MAX) throw rangeError(message);
  return v;
}

/** count: undefined or null mean to EOF (returned as -1); otherwise a positive safe integer. */
export function validateCount(v: unknown, inspect?: Inspect): number {
  if (v === undefined || v === null) return -1;
  return integer('count', v, 1, 'a positive integer', inspect ?? basicInspect);
}

/** offset: a non-negative safe integer (number or bigint). */
export function validateOffset(v: unknown, inspect?: Inspect): number {
  return integer('offset', v, 0, 'a non-negative integer', inspect ?? basicInspect);
}

export interface SendfileOptions {
  /** Use the buffered path when no native path exists (default true). */
  fallback?: boolean;
  /** Aborts the transfer; it rejects with an AbortError carrying bytesSent. */
  signal?: AbortSignal;
  /** Called after each chunk the sink accepted, with the running total. */
  onProgress?: (bytesSent: number) => void;
}

export interface CheckedOptions {
  fallback: boolean;
  signal: AbortSignal | undefined;
  onProgress: ((bytesSent: number) => void) | undefined;
}

export function validateOptions(v: unknown, inspect?: Inspect): CheckedOptions {
  if (v === undefined || v === null) return { fallback: true, signal: undefined, onProgress: undefined };
  if (typeof v !== 'object') throw typeError(`options must be an object (got ${repr(v, inspect)})`);
  // Each option is read once: a getter could answer differently the second time.
  const { fallback, signal, onProgress } = v as SendfileOptions;
  if (fallback !== undefined && typeof fallback !== 'boolean') {
    throw typeError(`options.fallback must be a boolean (got ${repr(fallback, inspect)})`);
  }
  // The transfer calls all three: a look-alike without removeEventListener would fail after
  // the bytes went out (and, from an I/O callback, crash the process).
  if (signal !== undefined && (signal === null || typeof signal !== 'object' || typeof signal.aborted !== 'boolean'
    || typeof signal.addEventListener !== 'function' || typeof signal.removeEventListener !== 'function')) {
    throw typeError(`options.signal must be an AbortSignal (got ${repr(signal, inspect)})`);
  }
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw typeError(`options.onProgress must be a function (got ${repr(onProgress, inspect)})`);
  }
  return { fallback: fallback ?? true, signal, onProgress };
}
