#!/bin/bash
# Guest kernel: Debian's linux-image for the pinned ABI unpacked to $RIG_WORK/kern (depmod run:
# the package ships no modules.dep), plus test_power.ko built out of tree from linux-source.
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"
K=$(rig_kernel)
KEY=$(rig_key "$K" "$0")
STAMP=$RIG_WORK/kern.stamp
rig_fresh "$STAMP" "$KEY" && exit 0
mkdir -p "$RIG_WORK/dl"
cd "$RIG_WORK/dl"
[ -d "/usr/src/linux-headers-$K" ] || rig_die "linux-headers-$K missing: run hw-tests/rig/install-host-deps.sh"
rig_log "kernel $K: download"
ls linux-image-"$K"_*.deb >/dev/null 2>&1 || apt-get download -qq -o APT::Sandbox::User=root "linux-image-$K"
rm -rf "$RIG_WORK/kern" && mkdir -p "$RIG_WORK/kern"
dpkg -x linux-image-"$K"_*.deb "$RIG_WORK/kern"
depmod -b "$RIG_WORK/kern" "$K"

# test_power is in the kernel tree but not enabled in Debian's config; its one C file builds in seconds.
SRCPKG=linux-source-$(echo "$K" | cut -d. -f1,2)
TP=$RIG_WORK/testpower
if [ ! -f "$TP/test_power.c" ]; then
  rig_log "test_power: source from $SRCPKG"
  ls "$SRCPKG"_*.deb >/dev/null 2>&1 || apt-get download -qq -o APT::Sandbox::User=root "$SRCPKG"
  rm -rf lsrc && mkdir lsrc
  dpkg-deb --fsys-tarfile "$SRCPKG"_*.deb | tar -x -C lsrc "./usr/src/$SRCPKG.tar.xz"
  mkdir -p "$TP"
  tar -xJf "lsrc/usr/src/$SRCPKG.tar.xz" -O "$SRCPKG/drivers/power/supply/test_power.c" > "$TP/test_power.c.tmp"
  mv "$TP/test_power.c.tmp" "$TP/test_power.c"
  rm -rf lsrc "$SRCPKG"_*.deb   # 140 MB; only the one file is kept
fi
echo 'obj-m += test_power.o' > "$TP/Kbuild"
make -s -C "/usr/src/linux-headers-$K" M="$TP" clean >/dev/null
make -s -C "/usr/src/linux-headers-$K" M="$TP" modules 2>&1 | grep -v "Skipping BTF" || true
[ "$(modinfo -F vermagic "$TP/test_power.ko" | cut -d' ' -f1)" = "$K" ] || rig_die "test_power.ko vermagic mismatch"
echo "$KEY" > "$STAMP"
rig_log "kernel $K ready"
