// Small files kept in memory, so a repeated request costs one stat of its path instead of open,
// the symlink check, fstat, read and close.
//
// Invariants:
// - An entry holds bytes read from a descriptor that passed every check of a normal open under
//   its root (ts/http/path.ts openChecked), and the fstat of that descriptor taken before and
//   after the read, which must agree: the bytes are one version of the file, whole. It is served
//   only to requests under that same root.
// - A file is cached only once its ctime is older than RACY_MS: any later change to it (write,
//   truncate, chmod, rename, link) sets a ctime after that, so it can never look unchanged.
// - An entry is served only while a stat of the same path shows the same device, inode, size,
//   mtime and ctime. So the bytes served are always bytes that were read from inside the root,
//   and headers and body describe the same version; anything else (a replaced file, a symlink
//   that now leads elsewhere, a missing file) drops the entry and takes the normal open.
// - An entry is served for at most RECHECK_MS after the last normal open of its path passed the
//   checks; then the next request opens it normally again (without rereading an unchanged
//   file). So a hit answers what an open at most RECHECK_MS earlier answered, even where the
//   stat cannot tell (a directory moved out of the root and a symlink put in its place).
// - Entries filled without the symlink check (followSymlinks) are never served to a request
//   that wants the check.
// - Bounded: at most MAX_ENTRIES entries and MAX_BYTES bytes in the process, oldest out first;
//   no descriptor is ever held.

import { fstatSync, readSync, statSync, type Stats } from 'node:fs';

const RACY_MS = 2000;
const RECHECK_MS = 1000;
const MAX_ENTRIES = 1024;
const MAX_BYTES = 16 * 1024 * 1024;

interface Entry { root: object; stat: Stats; bytes: Buffer; checked: boolean; until: number }

const same = (a: Stats, b: Stats): boolean => a.ino === b.ino && a.dev === b.dev && a.size === b.size
  && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;

/** A hit: the path's current stat and the file's bytes. */
export interface Cached { stat: Stats; bytes: Buffer }

export class BodyCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  /** The cached file at `path` under `root` (at most `max` bytes) if it is still the same file;
   *  null otherwise (then open it). */
  lookup(path: string, root: object, symlinkChecked: boolean, max: number): Cached | null {
    const e = this.entries.get(path);
    if (e === undefined || e.root !== root || (symlinkChecked && !e.checked) || e.bytes.length > max || Date.now() >= e.until) return null;
    let st: Stats | undefined;
    try { st = statSync(path, { throwIfNoEntry: false }); } catch { st = undefined; }
    if (st === undefined || !same(st, e.stat)) { this.drop(path, e); return null; }
    return { stat: st, bytes: e.bytes };
  }

  /**
   * Reads the whole regular file behind `fd` (opened from `path` with `stat` its fstat) when it
   * has at most `max` bytes, and keeps it when it qualifies; returns the bytes when they are one
   * whole version of the file, else null (the caller reads it the normal way).
   */
  fill(path: string, root: object, fd: number, stat: Stats, symlinkChecked: boolean, max: number): Buffer | null {
    const size = stat.size;
    const now = Date.now();
    if (!stat.isFile() || size > max || size === 0 || now - stat.ctimeMs < RACY_MS) return null;
    const old = this.entries.get(path);
    if (old && old.root === root && same(old.stat, stat)) {
      // An open without the symlink check renews only an entry that never had one.
      if (symlinkChecked || !old.checked) { old.until = now + RECHECK_MS; old.checked = symlinkChecked; }
      return old.bytes;
    }
    const buf = Buffer.allocUnsafeSlow(size);
    let n = 0;
    try {
      while (n < size) {
        const r = readSync(fd, buf, n, size - n, n);
        if (r === 0) break;
        n += r;
      }
      if (n !== size || !same(fstatSync(fd), stat)) return null;
    } catch {
      return null;
    }
    if (old) this.drop(path, old);
    while (this.entries.size >= MAX_ENTRIES || (this.bytes + size > MAX_BYTES && this.entries.size > 0)) {
      const [k, v] = this.entries.entries().next().value as [string, Entry];
      this.drop(k, v);
    }
    this.entries.set(path, { root, stat, bytes: buf, checked: symlinkChecked, until: now + RECHECK_MS });
    this.bytes += size;
    return buf;
  }

  private drop(path: string, e: Entry): void {
    if (this.entries.get(path) === e) { this.entries.delete(path); this.bytes -= e.bytes.length; }
  }
}
