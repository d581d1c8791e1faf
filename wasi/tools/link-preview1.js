#!/usr/bin/env node
// Links the preview1 command: the C shell (wasi/preview1/main.c, built by clang-19 for
// wasm32-wasi) and the AssemblyScript core (wasi/guest/preview1-core.ts, built with
// --importMemory) become one module with one memory.
//
// Invariants:
// - wasm-merge names the C module "env", so the core's `env.memory` import resolves to the C
//   module's memory, and the core module "core", so the shell's `core.*` imports resolve to the
//   core's exports: one memory (Node 20 does not run multi-memory modules by default).
// - The result imports wasi_snapshot_preview1 only and exports `memory` and `_start` only: the
//   core's functions are internal, so no host can drive the state machine behind the shell.
// - The core's data segments sit below the C side's global base (checked here) and its pool
//   below it too (checked by main.c at start, since the pool is laid out at run time).
//
// Usage: node wasi/tools/link-preview1.js SHELL.wasm CORE.wasm OUT.wasm GLOBAL_BASE
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import binaryen from 'binaryen';
import { FEATURE_FLAGS, withModule } from './binaryen.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const [shell, core, out, globalBaseArg] = process.argv.slice(2);
const globalBase = Number(globalBaseArg);

// The core's active data segments must end below the C side's data.
withModule(readFileSync(core), (mod) => {
  for (let i = 0; i < mod.getNumDataSegments(); i++) {
    const seg = mod.getDataSegmentInfo(mod.getDataSegmentByIndex(i));
    if (seg.passive) continue;
    if (seg.offset + seg.data.byteLength > globalBase) {
      throw new Error(`core data segment ${i} reaches ${seg.offset + seg.data.byteLength}, ` +
        `past the C side's global base ${globalBase}`);
    }
  }
});

const merged = `${out}.merged`;
execFileSync(join(root, 'node_modules/.bin/wasm-merge'),
  [shell, 'env', core, 'core', '-o', merged, ...FEATURE_FLAGS], { stdio: 'inherit' });

const bytes = withModule(readFileSync(merged), (mod) => {
  const drop = [];
  for (let i = 0; i < mod.getNumExports(); i++) {
    const name = binaryen.getExportInfo(mod.getExportByIndex(i)).name;
    if (name !== 'memory' && name !== '_start') drop.push(name);
  }
  for (const name of drop) mod.removeExport(name);
  for (let i = 0; i < mod.getNumFunctions(); i++) {
    const f = binaryen.getFunctionInfo(mod.getFunctionByIndex(i));
    if (f.module && f.module !== 'wasi_snapshot_preview1') {
      throw new Error(`unresolved import ${f.module}#${f.base} after wasm-merge`);
    }
  }
  binaryen.setOptimizeLevel(2);
  binaryen.setShrinkLevel(1);
  mod.optimize();
  if (!mod.validate()) throw new Error('the linked preview1 module does not validate');
  return mod.emitBinary();
});
// Node 20 compiles single-memory modules only: this fails if the merge kept two memories.
new WebAssembly.Module(bytes);
writeFileSync(out, bytes);
execFileSync('rm', ['-f', merged]);
