#!/usr/bin/env bash
# Builds everything into dist/: the WASM core, the TypeScript hosts and entries, the native
# addon (optional: a failure only turns the native path off), the edge bundles and the WASI
# artifacts. Run by `npm install` (through `prepare`) and by `npm run build`.
set -euo pipefail
cd "$(dirname "$0")"
bin=node_modules/.bin
step() { printf '[build] %s\n' "$*"; }

rm -rf dist
mkdir -p dist

step "core: AssemblyScript -> dist/core.wasm"
"$bin/asc" --config asconfig.json --target release
"$bin/asc" --config asconfig.json --target debug

step "hosts and entries: TypeScript -> dist/*.js (node, cli, web, workerd, deno)"
node scripts/bundle.js

step "types: dist/types"
"$bin/tsc" -p tsconfig.json

for part in native/build.sh native/prebuild.sh wasi/build.sh; do
  if [ -f "$part" ]; then
    step "$part"
    bash "$part"
  fi
done
step "done: $(du -sh dist | cut -f1) in dist/"
