#!/usr/bin/env bash
# Builds the WASI artifacts into dist/wasi/ (called by build.sh; runs on its own too):
#   sock-sendfile-command.wasm   WASI 0.2 component, world sock-sendfile-command (wasi:cli/run)
#   sock-sendfile-library.wasm   WASI 0.2 component, world sock-sendfile-library (send-file)
#   library-js/                  the library transpiled by jco for Node (preview2-shim)
#   jco-preopen.js               `jco run --jco-import` module: preopens the current directory
#   sock-sendfile-preview1.wasm  preview1 command: C shell (clang-19, wasi-libc) + the core
#   *.core.wasm                  core modules of the components (for the ABI drift test)
#
# Invariants:
# - The components need only node_modules (asc, binaryen, jco): they always build.
# - The preview1 command needs the Debian toolchain. It is installed with apt-get only when
#   missing and only where that can work (scripts/apt.sh); otherwise the artifact is skipped
#   with the reason printed. Under CI=true a missing toolchain fails the build.
# - Nothing outside dist/wasi/ is written except apt's own state. SOCK_SENDFILE_WASI_DIST moves
#   the output elsewhere, inside the project so node_modules still resolve (the tests read the
#   same variable), so a build can run while another process rebuilds dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${SOCK_SENDFILE_WASI_DIST:-dist/wasi}
bin=node_modules/.bin
say() { printf '[wasi] %s\n' "$*"; }
. scripts/apt.sh
start=$(date +%s)
rm -rf "$out"
mkdir -p "$out"

node wasi/tools/build-component.js "$out"
cp wasi/tools/preopen.js "$out/jco-preopen.js"

# --- preview1: toolchain ------------------------------------------------------------------
PKGS="clang-19 lld-19 wasi-libc libclang-rt-19-dev-wasm32"
have_toolchain() {
  command -v clang-19 >/dev/null && command -v wasm-ld-19 >/dev/null &&
    [ -f /usr/include/wasm32-wasi/stdio.h ] && [ -f /usr/lib/wasm32-wasi/libc.a ] &&
    [ -f /usr/lib/llvm-19/lib/clang/19/lib/wasi/libclang_rt.builtins-wasm32.a ]
}
skip_reason=""
if ! have_toolchain; then
  say "installing $PKGS (apt-get; log in $out/apt.log)"
  if ! apt_ensure "$out/apt.log" $PKGS; then
    skip_reason="$apt_reason"
  elif ! have_toolchain; then
    skip_reason="apt-get ran but the toolchain is still incomplete"
  fi
fi

if [ -n "$skip_reason" ]; then
  if [ "${CI:-}" = "true" ]; then
    say "ERROR: cannot build the preview1 command: $skip_reason"
    exit 1
  fi
  say "skipping sock-sendfile-preview1.wasm: $skip_reason"
else
  # The C side's data, stack and heap start at GLOBAL_BASE; the core (its data from 1024, its
  # pool of 2 x 64 KiB slots on the next page boundaries) lives below it. main.c checks this.
  GLOBAL_BASE=262144
  tmp="$out/.preview1"
  mkdir -p "$tmp"
  "$bin/asc" --config wasi/guest/asconfig.json wasi/guest/preview1-core.ts \
    --importMemory --noExportMemory --memoryBase 1024 -o "$tmp/core.wasm"
  node wasi/tools/abi-header.js "$tmp/abi.h"
  clang-19 --target=wasm32-wasi -Os -Wall -Wextra -Werror -I "$tmp" \
    -o "$tmp/shell.wasm" wasi/preview1/main.c \
    -Wl,--global-base=$GLOBAL_BASE -Wl,--strip-all
  node wasi/tools/link-preview1.js "$tmp/shell.wasm" "$tmp/core.wasm" \
    "$out/sock-sendfile-preview1.wasm" $GLOBAL_BASE
  rm -rf "$tmp"
fi
rm -f "$out"/*.as.wasm

for f in "$out"/*.wasm; do
  say "$(basename "$f"): $(wc -c <"$f") bytes"
done
say "built in $(( $(date +%s) - start )) s"
