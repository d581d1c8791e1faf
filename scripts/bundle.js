// Bundles every JavaScript entry into dist/ with esbuild, one ESM file each, and prints the
// sizes of the web bundles. Called by build.sh after the core (dist/core.wasm) is built.
//   dist/node.js, dist/cli.js  Node and Bun (platform node; the addon and core.wasm beside them)
//   dist/http.js      sock-sendfile/http: imports ./node.js (one copy of the host and core per
//                     process) and its npm dependencies (mime-types) at run time
//   dist/web.js       core embedded (esbuild's binary loader): browsers, and any Web-streams runtime
//   dist/workerd.js   `import core from './core.wasm'` left external: workerd (and wrangler) load
//                     it as a WebAssembly.Module, since workerd will not compile bytes
//   dist/deno.js      `import * as core from './core.wasm'` left external: Deno instantiates it
//   dist/abi.js       the ABI constants as plain JS, for the core's own tests
// Web bundles are built for platform 'neutral' with nothing external but the .wasm: a stray
// node:* import under ts/web/ fails the build instead of shipping.
import { build } from 'esbuild';
import { readFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const common = {
  bundle: true,
  format: 'esm',
  target: 'es2022',
  sourcemap: true,
  logLevel: 'warning',
  legalComments: 'none',
  outdir: 'dist',
};


// An entry imported by another stays an import of its own bundle (one copy per process):
// the HTTP layer imports ./node.js, the CLI's `http` command ./http.js.
const entryExternal = (name) => ({
  name: `${name}-entry-external`,
  setup(b) { b.onResolve({ filter: new RegExp(`/entries/${name}\\.js$`) }, () => ({ path: `./${name}.js`, external: true })); },
});
await build({
  ...common, platform: 'node', entryPoints: { node: 'ts/entries/node.ts', cli: 'ts/cli.ts' }, plugins: [entryExternal('http')],
});
await build({ ...common, platform: 'node', packages: 'external', entryPoints: { http: 'ts/entries/http.ts' }, plugins: [entryExternal('node')] });
await build({ ...common, platform: 'neutral', entryPoints: { abi: 'wasm/abi.ts' } });
await build({ ...common, platform: 'neutral', entryPoints: { web: 'ts/entries/web.ts' }, loader: { '.wasm': 'binary' } });
await build({
  ...common, platform: 'neutral', external: ['*.wasm'],
  entryPoints: { workerd: 'ts/entries/workerd.ts', deno: 'ts/entries/deno.ts' },
});

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
for (const f of ['web.js', 'workerd.js', 'deno.js', 'core.wasm']) {
  const p = `dist/${f}`;
  console.log(`[bundle] ${p.padEnd(17)} ${kib(statSync(p).size).padStart(9)}  (gzip ${kib(gzipSync(readFileSync(p)).length)})`);
}
