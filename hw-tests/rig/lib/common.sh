# Shared shell functions for the virtual rig scripts (sourced, never run).
# Invariant: every build product lives under $RIG_WORK (ignored by git) and is keyed by its inputs.

RIG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO_DIR=$(cd "$RIG_DIR/../.." && pwd)
RIG_WORK=${RIG_WORK:-$RIG_DIR/work}
# Guest userland: Debian 13, whose nodejs (20.19) ferry's package depends on; the kernel stays the host's.
RIG_SUITE=${RIG_SUITE:-trixie}

rig_log() { printf '[rig %s] %s\n' "$(date +%T)" "$*" >&2; }
rig_die() { rig_log "error: $*"; exit 2; }

# The Debian mirror the host's apt already uses; read at run time so the repo names no host.
rig_mirror() {
  if [ -n "${RIG_MIRROR:-}" ]; then echo "$RIG_MIRROR"; return; fi
  local m
  m=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null)
  [ -n "$m" ] || m=$(awk '$1=="deb" && $0 !~ /security/ {for(i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null)
  [ -n "$m" ] || rig_die "no Debian mirror found in /etc/apt/sources.list{,.d}; set RIG_MIRROR"
  echo "$m"
}

# The guest kernel ABI (e.g. 6.1.0-56-amd64): RIG_KERNEL, else what linux-image-amd64 points at now.
# Module paths and test_power.ko depend on it, so the whole image is keyed by it.
rig_kernel() {
  if [ -n "${RIG_KERNEL:-}" ]; then echo "$RIG_KERNEL"; return; fi
  local k
  k=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{sub("linux-image-","",$2); print $2; exit}')
  [ -n "$k" ] || rig_die "cannot resolve the kernel from linux-image-amd64 (apt-get update?); set RIG_KERNEL"
  echo "$k"
}

# apt-get update fails now and then on a mirror mid-sync: keep the lists we have and go on.
rig_apt_update() {
  local i
  for i in 1 2 3; do apt-get update -qq && return 0; rig_log "apt-get update failed (try $i)"; sleep 5; done
  rig_log "warning: apt-get update kept failing; using the existing package lists"
}

# Short hash of files and strings: the cache key of a build step.
rig_key() {
  local a
  for a in "$@"; do
    if [ -f "$a" ]; then sha256sum "$a"; else printf '%s\n' "$a"; fi
  done | sha256sum | cut -c1-16
}

# A step is fresh when its stamp holds the same key.
rig_fresh() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

rig_now() { date +%s.%N; }
rig_secs() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1f", b-a}'; }
