// From a request target or a caller's path to an open file descriptor under a root.
//
// Invariants:
// - A request path is percent-decoded exactly once, segment by segment: `%252e` stays the
//   literal name `%2e`, and an encoded `/` or `\` can never become a separator (400).
// - No segment is `.` or `..`, none holds NUL, `/` or `\`; empty segments (`//`) are dropped,
//   so a joined path never starts with `//` and never leaves the root textually.
// - A file is opened first and examined through its descriptor (fstat), never stat-then-open:
//   what is served is what was opened, even if the name is replaced meanwhile.
// - Unless symlinks are followed, the opened descriptor's real path (read back from the kernel)
//   must lie inside the root's real path; otherwise it is closed and the answer is 404.
// - Opening never blocks on a FIFO (O_NONBLOCK), and every descriptor this module opens is
//   either returned to the caller or closed before it returns.

import { closeSync, constants, fstatSync, openSync, readlinkSync, realpathSync, type Stats } from 'node:fs';
import { resolve as resolvePath, sep } from 'node:path';

/** A refusal, as the HTTP status it becomes. */
export interface Refusal { status: number; reason: string }

export type Dotfiles = 'ignore' | 'deny' | 'allow';

/** The longest path (in UTF-16 units) we try to open; longer is 414 before any syscall. */
export const MAX_PATH_LENGTH = 4096;

export interface Segments { segments: string[]; trailingSlash: boolean }

const refuse = (status: number, reason: string): Refusal => ({ status, reason });

function checkSegment(s: string): Refusal | null {
  if (s.includes('\0')) return refuse(400, 'NUL byte in path');
  if (s.includes('/') || s.includes('\\')) return refuse(400, 'encoded separator in path');
  if (s === '.' || s === '..') return refuse(400, 'dot segment in path');
  return null;
}

/** The path of a request target (origin-form or absolute-form), decoded into checked segments. */
export function segmentsOfUrl(url: string): Segments | Refusal {
  if (url.length > MAX_PATH_LENGTH) return refuse(414, 'request target too long');
  let path = url;
  const q = path.indexOf('?');
  if (q >= 0) path = path.slice(0, q);
  const h = path.indexOf('#');
  if (h >= 0) path = path.slice(0, h);
  if (!path.startsWith('/')) {
    // absolute-form (RFC 9112 3.2.2): keep only its path.
    const m = /^[a-z][a-z0-9+.-]*:\/\/[^/]*(\/.*)?$/i.exec(path);
    if (!m) return refuse(400, 'request target is not a path');
    path = m[1] ?? '/';
  }
  const raw = path.split('/');
  const segments: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    const r = raw[i];
    if (r === '') continue;
    let s: string;
    if (r.includes('%')) {
      try { s = decodeURIComponent(r); } catch { return refuse(400, 'malformed percent-encoding'); }
    } else s = r;
    const bad = checkSegment(s);
    if (bad) return bad;
    segments.push(s);
  }
  return { segments, trailingSlash: path.endsWith('/') };
}

/** A caller's plain (not percent-encoded) relative path, split into checked segments. */
export function segmentsOfPath(path: string): Segments | Refusal {
  if (path.length > MAX_PATH_LENGTH) return refuse(414, 'path too long');
  if (path.includes('\0')) return refuse(400, 'NUL byte in path');
  const segments: string[] = [];
  for (const s of path.split(/[/\\]/)) {
    if (s === '' || s === '.') continue;
    if (s === '..') return refuse(403, 'path leaves the root');
    segments.push(s);
  }
  return { segments, trailingSlash: /[/\\]$/.test(path) };
}

export function isRefusal(v: unknown): v is Refusal {
  return typeof (v as Refusal).status === 'number';
}

/** The dotfiles policy applied to segments: a refusal, or null when they may be served. */
export function dotfileRefusal(segments: string[], policy: Dotfiles): Refusal | null {
  if (policy === 'allow') return null;
  for (const s of segments) {
    if (s.charCodeAt(0) === 46 /* . */) return policy === 'deny' ? refuse(403, 'dotfile') : refuse(404, 'dotfile ignored');
  }
  return null;
}

/** A root directory, resolved once: its absolute path and its real path (symlinks resolved). */
export class Root {
  readonly dir: string;
  readonly real: string;
  constructor(dir: string) {
    this.dir = resolvePath(dir);
    try { this.real = realpathSync.native(this.dir); } catch { this.real = this.dir; }
  }
  join(segments: string[]): string {
    return segments.length ? `${this.dir === sep ? '' : this.dir}${sep}${segments.join(sep)}` : this.dir;
  }
  contains(real: string): boolean {
    return real === this.real || this.real === sep || real.startsWith(this.real + sep);
  }
}

export interface Opened { fd: number; stat: Stats; path: string }

const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);
const haveProcFd = (() => { try { readlinkSync('/proc/self/fd/0'); return true; } catch { return false; } })();

function realPathOf(fd: number, path: string): string | null {
  try {
    return haveProcFd ? readlinkSync(`/proc/self/fd/${fd}`) : realpathSync.native(path);
  } catch {
    return null;
  }
}

function openErrorRefusal(err: unknown): Refusal {
  switch ((err as { code?: string }).code) {
    case 'ENOENT': case 'ENOTDIR': case 'ELOOP': return refuse(404, 'not found');
    case 'ENAMETOOLONG': return refuse(414, 'path too long');
    case 'EACCES': case 'EPERM': return refuse(403, 'permission denied');
    default: return refuse(500, `cannot open: ${(err as Error).message}`);
  }
}

/**
 * Opens `path` read-only and fstats the descriptor. With `root` given and `followSymlinks`
 * false, the opened file must really be inside the root. Regular files and directories only.
 */
export function openChecked(path: string, root: Root | null, followSymlinks: boolean): Opened | Refusal {
  let fd: number;
  try { fd = openSync(path, OPEN_FLAGS); } catch (err) { return openErrorRefusal(err); }
  try {
    if (root && !followSymlinks) {
      const real = realPathOf(fd, path);
      if (real === null || !root.contains(real)) { closeSync(fd); return refuse(404, 'outside the root'); }
    }
    const stat = fstatSync(fd);
    if (!stat.isFile() && !stat.isDirectory()) { closeSync(fd); return refuse(404, 'not a regular file'); }
    return { fd, stat, path };
  } catch (err) {
    closeSync(fd);
    return openErrorRefusal(err);
  }
}
