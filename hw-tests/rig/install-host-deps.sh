#!/bin/bash
# Installs what the virtual rig needs on a Debian bookworm host (root): QEMU, debootstrap, busybox,
# a compiler and the headers of the pinned guest kernel (for test_power.ko), and the tools that build
# and check ferry's .deb (dpkg-dev for dpkg-shlibdeps, lintian). Safe to run again.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
[ "$(id -u)" = 0 ] || rig_die "needs root"
export DEBIAN_FRONTEND=noninteractive
rig_apt_update
K=$(rig_kernel)
rig_log "host packages for guest kernel $K"
apt-get install -y -qq --no-install-recommends \
  qemu-system-x86 qemu-utils debootstrap busybox-static cpio kmod e2fsprogs xz-utils \
  gcc make libc6-dev binutils dpkg-dev lintian time ca-certificates "linux-headers-$K" >/dev/null
rig_log "host deps ok: $(qemu-system-x86_64 --version | head -1)"
