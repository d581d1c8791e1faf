// errno numbers and names for the Node host, from Node itself: the native backends (the addon,
// node:ffi) report failures as negative errno numbers of the platform they run on, and this is
// the one place that turns them into the `code` a Node user expects.
//
// Invariants: numbers come from os.constants.errno, never from literals, so they are the running
// platform's. A number os.constants.errno does not list is `ERRNO_<n>` (libuv's own codes such
// as UV_EOF are no errno); a listed one is named as libuv names it (what Node's own errors say),
// else by its first os.constants name. Nothing here throws.

import { constants } from 'node:os';
import { getSystemErrorName } from 'node:util';

/** The platform's errno numbers by name (E.EAGAIN, ...). */
export const E = constants.errno;

let names: Map<number, string> | undefined;

/** The errno's name ('EAGAIN') for either sign of it; 'ERRNO_<n>' when the platform has none. */
export function errname(errno: number): string {
  const n = typeof errno === 'number' && Number.isInteger(errno) ? Math.abs(errno) : NaN;
  if (!names) {
    names = new Map();
    for (const [name, value] of Object.entries(E)) if (!names.has(value)) names.set(value, name);
  }
  const first = names.get(n);
  if (first === undefined) return `ERRNO_${n}`;
  let uv: string | undefined;
  try { uv = getSystemErrorName(-n); } catch { /* libuv has no name for it */ }
  return uv && /^E[A-Z0-9]+$/.test(uv) ? uv : first;
}

/** An Error shaped like Node's system errors: `code`, negative `errno`, `syscall`. */
export function errnoError(errno: number, syscall: string, message?: string): Error & { code: string; errno: number; syscall: string } {
  const code = errname(errno);
  return Object.assign(new Error(message ?? `${syscall} failed: ${code}`), { code, errno: -Math.abs(errno), syscall });
}
