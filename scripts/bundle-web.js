// Bundles the web entries into dist/ with esbuild and prints their sizes.
//   dist/web.js      core embedded (esbuild's binary loader): browsers, Node, Bun, anything
//   dist/workerd.js  `import core from './core.wasm'` left external: workerd/wrangler load it
//                    as a WebAssembly.Module, since workerd will not compile bytes
//   dist/deno.js     `import * as core from './core.wasm'` left external: Deno instantiates it
// The .wasm both external bundles import is dist/core.wasm, already built beside them.
import { build } from 'esbuild';
import { existsSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';

if (!existsSync('dist/core.wasm')) throw new Error('dist/core.wasm is missing: build the core first (build.sh)');

const common = {
  bundle: true,
  format: 'esm',
  target: 'es2022',
  sourcemap: true,
  logLevel: 'warning',
  legalComments: 'none',
  platform: 'neutral',
  // Nothing under ts/web may reach node:*; a stray import must fail the build, not ship.
  external: [],
};

await build({ ...common, entryPoints: { web: 'ts/entries/web.ts' }, outdir: 'dist', loader: { '.wasm': 'binary' } });
for (const name of ['workerd', 'deno']) {
  await build({ ...common, entryPoints: { [name]: `ts/entries/${name}.ts` }, outdir: 'dist', external: ['*.wasm'] });
}

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
for (const f of ['web.js', 'workerd.js', 'deno.js', 'core.wasm']) {
  const p = `dist/${f}`;
  const size = statSync(p).size;
  console.log(`[build-web] ${p.padEnd(17)} ${kib(size).padStart(9)}  (gzip ${kib(gzipSync(readFileSync(p)).length)})`);
}
