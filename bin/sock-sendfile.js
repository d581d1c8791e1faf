#!/usr/bin/env node
// The command-line entry: runs the built CLI from dist/ (built by `npm install` through prepare).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('sock-sendfile: dist/ is missing; run `npm install` (or `npm run build`) in the package first\n');
  process.exit(1);
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));
