# Sourced by build and test scripts: apt_ensure installs Debian packages only when missing, and
# only where that can work (apt-get present, root or passwordless sudo).
#
# Invariants: apt-get update runs at most once per process tree that sources this (its lists are
# shared). The caller says what "missing" means (a command or file it checks first); apt_ensure
# never decides a toolchain is usable, it only installs. On failure it returns 1 with the reason
# in $apt_reason and apt's output in the log file given.

apt_reason=""

# apt_ensure LOG PKG... : 0 when installed (or already there), 1 with $apt_reason otherwise.
apt_ensure() {
  local log="$1"; shift
  local missing=() p sudo=""
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null; then apt_reason="no apt-get to install ${missing[*]}"; return 1; fi
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo"
    else apt_reason="${missing[*]} missing and no root (or passwordless sudo) to install them"; return 1; fi
  fi
  if [ -z "${SS_APT_UPDATED:-}" ]; then
    $sudo apt-get update >>"$log" 2>&1 || { apt_reason="apt-get update failed (no network?); see $log"; return 1; }
    export SS_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}" >>"$log" 2>&1 ||
    { apt_reason="apt-get could not install ${missing[*]}; see $log"; return 1; }
}
