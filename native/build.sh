#!/usr/bin/env bash
# Builds the N-API addon into dist/native/<platform>-<arch>/: sock_sendfile.node (the syscall
# backend for this OS) and sock_sendfile_none.node (every call -ENOSYS, loaded on purpose by a test).
# Offline: headers come from the node-api-headers devDependency, napi_* symbols resolve from the
# host process at load time. Never fatal: without a compiler, or on any failure, it prints one
# line "native: skipped (<reason>)" and exits 0, and the library runs on its buffered path.
# SS_TARGET=<platform>-<arch> with CC=<cross compiler> builds a prebuild for another machine
# (native/prebuild.sh does): it cannot be loaded here, so the load check is left to
# test/pack/, which runs it under qemu.
set -uo pipefail
cd "$(dirname "$0")/.."

skip() { echo "native: skipped ($*)"; exit 0; }

CC="${CC:-cc}"
command -v "$CC" >/dev/null 2>&1 || skip "no C compiler ($CC)"
command -v node >/dev/null 2>&1 || skip "no node to name the platform"
host="$(node -p "process.platform+'-'+process.arch")" || skip "node failed"
target="${SS_TARGET:-$host}"
os="${target%%-*}"
inc=node_modules/node-api-headers/include
[ -f "$inc/node_api.h" ] || skip "node-api-headers not installed"

out="dist/native/$target"
tmp="native/build/$target"
mkdir -p "$out" "$tmp" || skip "cannot create $out"

flags=(-shared -fPIC -O2 -std=c11 -Wall -Wextra -fvisibility=hidden -I "$inc")
case "$os" in
  # napi_* are left for the host process (node, bun) to provide when it dlopen()s the addon.
  darwin) flags+=(-undefined dynamic_lookup) ;;
  # -z now: a napi_* the host lacks fails the load check below, not a call at run time.
  linux) flags+=(-Wl,--unresolved-symbols=ignore-all -Wl,-z,now) ;;
esac

# A failed build must not leave an older addon behind to be loaded against newer JS.
drop() { rm -f "$out/sock_sendfile.node" "$out/sock_sendfile_none.node"; }

build() { # build <output> <backend .c>
  local log="$tmp/$(basename "$1").log" rc
  "$CC" "${flags[@]}" -o "$tmp/$(basename "$1")" native/binding.c "$2" -lm >"$log" 2>&1
  rc=$?
  if [ "$rc" -ne 0 ]; then
    drop
    skip "$CC failed on $(basename "$2"): $(grep -m1 -i error "$log" || head -n1 "$log" | grep . || echo "exit status $rc")"
  fi
  mv "$tmp/$(basename "$1")" "$1" || skip "cannot write $1"
}

build "$out/sock_sendfile_none.node" native/none.c
if [ "$os" = linux ]; then
  build "$out/sock_sendfile.node" native/linux.c
else
  cp "$out/sock_sendfile_none.node" "$out/sock_sendfile.node" || skip "cannot write $out"
fi

[ "$target" = "$host" ] || { echo "native: built $out/sock_sendfile.node (cross, not load-checked)"; exit 0; }

# A library that builds but cannot load (wrong headers, missing symbol) is no backend either.
if ! node -e "const m=require(process.argv[1]); if (typeof m.sendfile!=='function') process.exit(1)" \
    "$PWD/$out/sock_sendfile.node" >"$tmp/load.log" 2>&1; then
  drop
  skip "built addon does not load: $(head -n1 "$tmp/load.log")"
fi
echo "native: built $out/sock_sendfile.node ($(node -p 'require(process.argv[1]).backend' "$PWD/$out/sock_sendfile.node"))"
