#!/usr/bin/env bash
# Builds the edge and web bundles (dist/web.js, dist/workerd.js, dist/deno.js) next to
# dist/core.wasm, and prints their sizes. Run by build.sh after the core and the Node bundle.
set -euo pipefail
cd "$(dirname "$0")/.."
node scripts/bundle-web.js
