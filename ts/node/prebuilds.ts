// Which folder of dist/native/ holds the addon for this process, and why none does when it is
// missing. A packed tarball carries prebuilt addons for several machines, one folder each
// (linux-x64, linux-arm64, ...; native/prebuild.sh builds them), so the choice is made here,
// before anything is loaded.
//
// Invariants: never throws. A musl process (Alpine) looks for `<platform>-<arch>-musl` and so is
// never handed a glibc addon: dlopen() of one fails at best, and with gcompat may load half-working.
// libc is told by what this process mapped (/proc/self/maps names musl's loader or libc), which
// costs well under a millisecond; process.report says it too (glibcVersionRuntime is set only
// under glibc) but costs several, so it is asked only where /proc cannot be read. Neither
// answering counts as glibc, since that is what every prebuild here targets.

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

function isMusl(): boolean {
  if (process.platform !== 'linux') return false;
  try {
    return /\/(ld-musl-|libc\.musl-)/.test(readFileSync('/proc/self/maps', 'utf8'));
  } catch { /* no /proc: ask the report */ }
  const report = process.report as (NodeJS.ProcessReport & { excludeNetwork?: boolean }) | undefined;
  if (typeof report?.getReport !== 'function') return false;
  // The report resolves host names unless told not to: skip that (it can take seconds offline).
  const before = report.excludeNetwork;
  try {
    report.excludeNetwork = true;
    const header = (report.getReport() as { header?: { glibcVersionRuntime?: string } }).header;
    return header !== undefined && header.glibcVersionRuntime === undefined;
  } catch {
    return false;
  } finally {
    try { report.excludeNetwork = before; } catch { /* a runtime whose report is read-only */ }
  }
}

let dirName: string | undefined;

/** `linux-x64`, `linux-arm64-musl`, `darwin-arm64`, ...: the folder under dist/native/ for this process. */
export function addonDirName(): string {
  dirName ??= `${process.platform}-${process.arch}${isMusl() ? '-musl' : ''}`;
  return dirName;
}

/**
 * Why `native/<addonDirName()>/<file>` is in none of `nativeDirs` (dist/native/ as seen from the
 * bundle), naming the folders that are there, so a user on another machine reads what they got.
 */
export function noAddonReason(file: string, nativeDirs: URL[]): string {
  const wanted = `native/${addonDirName()}/${file}`;
  const present = new Set<string>();
  for (const url of nativeDirs) {
    const dir = fileURLToPath(url);
    if (!existsSync(dir)) continue;
    try {
      for (const name of readdirSync(dir)) if (existsSync(`${dir}/${name}/${file}`)) present.add(name);
    } catch { /* unreadable: as if absent */ }
  }
  if (present.size === 0) return `native addon not built (no ${wanted} beside the bundle)`;
  const libc = addonDirName().endsWith('-musl') ? ' (musl libc; the Linux prebuilds are for glibc)' : '';
  return `no prebuilt addon for ${addonDirName()}${libc} in this package, which has ${[...present].sort().join(', ')}`;
}
