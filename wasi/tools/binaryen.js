// One place for how the WASI build scripts open a module in binaryen: with the features asc
// 0.28 emits by default (memory.fill/copy are bulk memory, plus sign-ext, mutable globals and
// non-trapping float-to-int). binaryen reads with MVP features only and would reject them.
import binaryen from 'binaryen';

/** The same features as wasm-merge/wasm-opt command-line flags. */
export const FEATURE_FLAGS = ['--enable-bulk-memory', '--enable-bulk-memory-opt', '--enable-sign-ext',
  '--enable-mutable-globals', '--enable-nontrapping-float-to-int'];

/** Reads `bytes`, runs `fn(module)` and frees the module whatever happens; returns fn's result. */
export function withModule(bytes, fn) {
  const mod = binaryen.readBinary(bytes);
  try {
    const F = binaryen.Features;
    mod.setFeatures(F.MVP | F.MutableGlobals | F.NontrappingFPToInt | F.SignExt |
      F.BulkMemory | F.BulkMemoryOpt);
    return fn(mod);
  } finally {
    mod.dispose();
  }
}
