#!/usr/bin/env bash
# Installs the WASI runtimes that test/wasi/ and the benchmark run the artifacts in, pinned, when
# they are missing:
#   wasmtime 48.0.0   cargo install wasmtime-cli (the newest that builds with rustc 1.95),
#                     trimmed to what `wasmtime run` needs for components, sockets and preview1
#   wac 0.12.0        cargo install wac-cli without registry support (plug of local files)
#   wazero v1.12.0    go install
#   socat             apt-get through scripts/apt.sh (only when missing, only where it can work)
# into ${XDG_CACHE_HOME:-$HOME/.cache}/sock-sendfile/tools/bin (SOCK_SENDFILE_TOOLS moves the
# tools directory).
#
#   bash wasi/install-runtimes.sh           install what is missing; exit 1 if anything still is
#   bash wasi/install-runtimes.sh NAME...   the same for the named tools only
#   bash wasi/install-runtimes.sh --status  one line per tool: "NAME PATH", or "NAME - WHY" when
#                                           it is missing or at another version; installs nothing
#
# Invariants:
# - This file is the one place the versions are named; the tests ask it (--status) which tools
#   are usable instead of repeating them.
# - A tool present at its pinned version is never rebuilt: a second run takes about a second.
# - A tool is judged by running it (`--version`), so a half-written binary counts as missing.
# - Builds happen in a temporary target directory removed afterwards; only the tools directory
#   (and cargo's and go's own download caches) is written.
set -euo pipefail

WASMTIME_VERSION=48.0.0
# run: `wasmtime run` with wasmtime-wasi (WASI 0.2 and preview1, sockets included); cranelift:
# the compiler; component-model: components; cache: compiled code kept between runs, so each
# test does not recompile; parallel-compilation: the two cores compile at once. Everything else
# in the default set (serve, wasi-http/nn/tls/keyvalue/config, winch, pulley, gc, wizer, wast,
# objdump, explore, debug...) is what this project never runs and most of the build time.
WASMTIME_FEATURES=run,cranelift,component-model,cache,parallel-compilation
WAC_VERSION=0.12.0
WAZERO_VERSION=v1.12.0

. "$(dirname "$0")/../scripts/apt.sh"

tools=${SOCK_SENDFILE_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/sock-sendfile/tools}
bin=$tools/bin
say() { printf '[runtimes] %s\n' "$*" >&2; }

# The version line each tool prints, as the pinned build prints it.
version_of() {
  case $1 in
    wasmtime) "$bin/wasmtime" --version 2>/dev/null | awk '{print $2}' ;;
    wac) "$bin/wac" --version 2>/dev/null | awk '{print $2}' ;;
    wazero) "$bin/wazero" version 2>/dev/null ;;
    socat) command -v socat >/dev/null && echo "(any version)" ;;
  esac
}
pinned() {
  case $1 in
    wasmtime) echo "$WASMTIME_VERSION" ;;
    wac) echo "$WAC_VERSION" ;;
    wazero) echo "$WAZERO_VERSION" ;;
    socat) echo "(any version)" ;;
  esac
}
path_of() { if [ "$1" = socat ]; then command -v socat; else echo "$bin/$1"; fi; }

# Why NAME is not usable, or nothing when it is.
problem() {
  local have
  have=$(version_of "$1" || true)
  if [ "$have" = "$(pinned "$1")" ]; then return; fi
  if [ "$1" = socat ]; then echo "socat not on PATH (bash wasi/install-runtimes.sh installs it)"; return; fi
  if [ -z "$have" ]; then echo "$1 $(pinned "$1") not in $bin (run: bash wasi/install-runtimes.sh)"
  else echo "$bin/$1 is $have, not $(pinned "$1") (run: bash wasi/install-runtimes.sh)"; fi
}

TOOLS="wasmtime wac wazero socat"

if [ "${1:-}" = "--status" ]; then
  for t in $TOOLS; do
    why=$(problem "$t")
    if [ -z "$why" ]; then echo "$t $(path_of "$t")"; else echo "$t - $why"; fi
  done
  exit 0
fi

if [ $# -gt 0 ]; then
  for t in "$@"; do
    case " $TOOLS " in *" $t "*) ;; *) say "unknown tool $t (known: $TOOLS)"; exit 2 ;; esac
  done
  TOOLS="$*"
fi

mkdir -p "$bin"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo_install() { # NAME CRATE VERSION [cargo args...]
  local name=$1 crate=$2 version=$3
  shift 3
  if ! command -v cargo >/dev/null; then say "$name: no cargo on PATH"; return 1; fi
  say "$name: building $crate $version (log in $work/$name.log)"
  local t0=$SECONDS
  if ! CARGO_TARGET_DIR=$work/target-$name cargo install "$crate@$version" --locked \
      --root "$tools" --force "$@" >"$work/$name.log" 2>&1; then
    tail -30 "$work/$name.log" >&2
    say "$name: cargo install failed"
    return 1
  fi
  say "$name: built in $((SECONDS - t0)) s"
  rm -rf "$work/target-$name"
}

install_one() {
  case $1 in
    wasmtime)
      cargo_install wasmtime wasmtime-cli "$WASMTIME_VERSION" \
        --no-default-features --features "$WASMTIME_FEATURES" ;;
    wac)
      cargo_install wac wac-cli "$WAC_VERSION" --no-default-features ;;
    wazero)
      if ! command -v go >/dev/null; then say "wazero: no go on PATH"; return 1; fi
      say "wazero: go install github.com/tetratelabs/wazero/cmd/wazero@$WAZERO_VERSION"
      local t0=$SECONDS
      GOBIN=$bin go install "github.com/tetratelabs/wazero/cmd/wazero@$WAZERO_VERSION"
      say "wazero: built in $((SECONDS - t0)) s" ;;
    socat)
      say "socat: apt-get install socat"
      apt_ensure "$work/socat.log" socat || { say "socat: $apt_reason"; tail -20 "$work/socat.log" >&2; return 1; } ;;
  esac
}

failed=""
for t in $TOOLS; do
  if [ -z "$(problem "$t")" ]; then say "$t: $(pinned "$t") present"; continue; fi
  install_one "$t" || true
  why=$(problem "$t")
  if [ -n "$why" ]; then say "$t: still missing: $why"; failed="$failed $t"; fi
done
if [ -n "$failed" ]; then
  say "not installed:$failed"
  exit 1
fi
say "all present in $bin"
