// Loads the N-API addon that native/build.sh builds into dist/native/<platform>-<arch>/ (a
// packed tarball also carries native/prebuild.sh's folders for other machines), as a
// NativeBackend (the contract and the choice of backend are in backend.ts).
//
// Invariant: loading never throws; a missing, broken or foreign addon is a null backend with a
// one-line reason.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { NativeBackend, NativeLoadResult } from './backend.js';
import { addonDirName, noAddonReason } from './prebuilds.js';

/** What the addon exports: the backend's functions plus its name as `backend`. */
type AddonExports = Omit<NativeBackend, 'name'> & { backend: string };

const requireNative = createRequire(import.meta.url);

/**
 * The addon beside the bundle: dist/native/<platform>-<arch>[-musl]/. A bundle split into chunks
 * runs this module from dist/chunks/, hence the second candidate.
 */
const nativeDirs = ['./native/', '../native/'].map((base) => new URL(base, import.meta.url));

function addonPath(file: string): string | null {
  for (const dir of nativeDirs) {
    const path = fileURLToPath(new URL(`${addonDirName()}/${file}`, dir));
    if (existsSync(path)) return path;
  }
  return null;
}

export function loadAddon(file: string): NativeLoadResult {
  const path = addonPath(file);
  if (!path) {
    return { backend: null, reason: noAddonReason(file, nativeDirs) };
  }
  let m: AddonExports;
  try {
    m = requireNative(path) as AddonExports;
  } catch (err) {
    return { backend: null, reason: `native addon failed to load: ${firstLine(err)}` };
  }
  if (typeof m?.sendfile !== 'function' || typeof m.backend !== 'string') {
    return { backend: null, reason: `native addon at ${path} is not this project's` };
  }
  // The addon's own functions, unwrapped: the hot path pays for no extra JS frame.
  return {
    backend: {
      name: m.backend,
      sendfile: m.sendfile,
      sendfileAsync: m.sendfileAsync,
      lseek: m.lseek,
      fstat: m.fstat,
      fadviseDontneed: m.fadviseDontneed,
    },
  };
}


/** The first line of an error's message: reasons are shown on one line. */
export function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n', 1)[0] ?? msg;
}
