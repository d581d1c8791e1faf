#!/usr/bin/env bash
# Cross-builds the addon for the Linux machines the packed tarball serves besides this one, each
# into dist/native/<platform>-<arch>/ beside the host's own (native/build.sh, which this calls
# with SS_TARGET and CC), so an install with no compiler still gets the native path there:
#   linux-x64    x86_64-linux-gnu-gcc   (Debian gcc-x86-64-linux-gnu)    glibc
#   linux-arm64  aarch64-linux-gnu-gcc  (Debian gcc-aarch64-linux-gnu)   glibc
# Invariants: the host's own target is left to native/build.sh. A cross compiler is installed
# with apt-get only when missing and only where that can work; otherwise the target is skipped
# with its reason. Under CI=true a target that cannot be built fails the build.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/apt.sh

host="$(node -p "process.platform+'-'+process.arch")" || { echo "prebuild: node failed"; exit 1; }
mkdir -p native/build
status=0

prebuild() { # prebuild <target> <compiler> <Debian package>
  local target="$1" cc="$2" pkg="$3" why=""
  [ "$target" = "$host" ] && return 0
  if ! command -v "$cc" >/dev/null; then
    echo "prebuild: installing $pkg for $target (apt-get; log in native/build/apt.log)"
    apt_ensure native/build/apt.log "$pkg" || why="$apt_reason"
    [ -z "$why" ] && ! command -v "$cc" >/dev/null && why="$pkg installed but $cc is not on PATH"
  fi
  [ -z "$why" ] && { CC="$cc" SS_TARGET="$target" bash native/build.sh ||
    why="native/build.sh failed"; }
  [ -z "$why" ] && [ ! -f "dist/native/$target/sock_sendfile.node" ] && why="native/build.sh made no addon"
  [ -z "$why" ] && return 0
  if [ "${CI:-}" = "true" ]; then
    echo "prebuild: ERROR: $target: $why"
    status=1
  else
    echo "prebuild: skipped $target ($why)"
  fi
}

prebuild linux-x64 x86_64-linux-gnu-gcc gcc-x86-64-linux-gnu
prebuild linux-arm64 aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu
exit $status
