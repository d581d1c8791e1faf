// Bundles the TypeScript hosts into dist/ with esbuild: one ESM file per entry.
// Called by build.sh; web and WASI bundles have their own scripts.
import { build } from 'esbuild';

const common = {
  bundle: true,
  format: 'esm',
  target: 'es2022',
  sourcemap: true,
  logLevel: 'warning',
  legalComments: 'none',
};

await build({
  ...common,
  platform: 'node',
  entryPoints: { node: 'ts/entries/node.ts', cli: 'ts/cli.ts' },
  outdir: 'dist',
});

// The ABI constants as plain JS, for the core's own tests and for hosts written in JS.
await build({ ...common, platform: 'neutral', entryPoints: { abi: 'wasm/abi.ts' }, outdir: 'dist' });
