#!/usr/bin/env node
// Builds the two WASI 0.2 components (wasi/wit/sock-sendfile.wit) from the AssemblyScript entries in
// wasi/guest/: asc -> rename exports to their canonical names (binaryen) -> componentEmbed with
// the world's WIT -> componentNew (no preview1 adapter) -> componentWit as the validation.
//
// Invariants:
// - The core module keeps only wasi:* imports (asc --runtime stub --use abort=); anything else
//   is an error here, not at a user's host.
// - Every export the world needs is present under its canonical name; the AssemblyScript
//   names are an implementation detail listed once, in WORLDS below.
// - Output goes to dist/wasi/ only: <world>.wasm (the component), <world>.core.wasm (the
//   core module, kept for the ABI drift test) and library-js/ (the library transpiled by jco
//   for Node, importing @bytecodealliance/preview2-shim).
//
// Usage: node wasi/tools/build-component.js [outDir]
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import binaryen from 'binaryen';
import { componentEmbed, componentNew, componentWit, transpile } from '@bytecodealliance/jco';
import { _addPreopen } from '@bytecodealliance/preview2-shim/filesystem';
import { withModule } from './binaryen.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const outDir = process.argv[2] || join(root, 'dist', 'wasi');
const witPath = join(root, 'wasi', 'wit');

// jco's wasm-tools runs as a component on preview2-shim: reading witPath needs a preopen.
_addPreopen('/', '/');

export const WORLDS = {
  'sock-sendfile-library': {
    entry: 'wasi/guest/library.ts',
    exports: { send_file: 'sock-sendfile:wasi/sendfile@0.1.0#send-file' },
  },
  'sock-sendfile-command': {
    entry: 'wasi/guest/command.ts',
    exports: { run: 'wasi:cli/run@0.2.0#run' },
  },
};

function renameExports(bytes, renames) {
  return withModule(bytes, (mod) => {
    for (const [from, to] of Object.entries(renames)) {
      const ref = mod.getExport(from);
      if (!ref) throw new Error(`export ${from} missing from the core module`);
      const info = binaryen.getExportInfo(ref);
      mod.removeExport(from);
      mod.addFunctionExport(info.value, to);
    }
    for (let i = 0; i < mod.getNumFunctions(); i++) {
      const f = binaryen.getFunctionInfo(mod.getFunctionByIndex(i));
      if (f.module && !f.module.startsWith('wasi:')) {
        throw new Error(`non-WASI import ${f.module}#${f.base}: the component cannot satisfy it`);
      }
    }
    if (!mod.validate()) throw new Error('binaryen rejected the renamed module');
    return mod.emitBinary();
  });
}

export async function buildWorld(world, { entry, exports }) {
  const asOut = join(outDir, `${world}.as.wasm`);
  execFileSync(join(root, 'node_modules/.bin/asc'), [
    '--config', 'wasi/guest/asconfig.json', entry, '-o', asOut,
  ], { cwd: root, stdio: 'inherit' });
  const core = renameExports(readFileSync(asOut), exports);
  writeFileSync(join(outDir, `${world}.core.wasm`), core);
  const embedded = await componentEmbed({ binary: core, witPath, world });
  const component = await componentNew(embedded);
  const wit = await componentWit(component);
  for (const name of Object.values(exports)) {
    const iface = name.split('#')[0].replace(/@.*/, '');
    if (!wit.includes(iface)) throw new Error(`${world}: componentWit lacks ${iface}:\n${wit}`);
  }
  writeFileSync(join(outDir, `${world}.wasm`), component);
  return { core: core.byteLength, component: component.byteLength, wit };
}

export async function transpileLibrary(world = 'sock-sendfile-library') {
  const dir = join(outDir, 'library-js');
  rmSync(dir, { recursive: true, force: true });
  const { files } = await transpile(readFileSync(join(outDir, `${world}.wasm`)),
    { name: world, quiet: true });
  for (const [name, bytes] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), bytes);
  }
  return dir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  mkdirSync(outDir, { recursive: true });
  for (const [world, spec] of Object.entries(WORLDS)) {
    const t0 = Date.now();
    const r = await buildWorld(world, spec);
    console.log(`[wasi] ${world}.wasm: component ${r.component} bytes (core ${r.core}), ` +
      `WIT valid, ${Date.now() - t0} ms`);
  }
  await transpileLibrary();
  console.log('[wasi] library-js/: sock-sendfile-library transpiled by jco for Node');
}
