#!/bin/bash
# The switch_root initramfs: busybox + the modules that reach the root disk (virtio_blk, ext4).
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"
K=$(rig_kernel)
OUT=$RIG_WORK/initramfs.cpio
KEY=$(rig_key "$K" "$0" "$RIG_DIR/guest/initramfs-init.sh")
rig_fresh "$OUT.stamp" "$KEY" && [ -f "$OUT" ] && exit 0
KROOT=$RIG_WORK/kern
W=$(mktemp -d "$RIG_WORK/ird.XXXX")
mkdir -p "$W"/{bin,proc,sys,dev}
cp /bin/busybox "$W/bin/"
for a in $("$W/bin/busybox" --list); do [ -e "$W/bin/$a" ] || ln -s busybox "$W/bin/$a"; done
for m in virtio_pci virtio_blk ext4; do
  modprobe -d "$KROOT" -S "$K" --show-depends $m | awk '$1=="insmod"{print $2}'
done | awk '!s[$0]++' | while read -r p; do
  rel=${p#"$KROOT"}; mkdir -p "$W$(dirname "$rel")"; cp "$p" "$W$rel"; echo "$rel"
done > "$W/mods.list"
install -m755 "$RIG_DIR/guest/initramfs-init.sh" "$W/init"
(cd "$W" && find . | cpio -o -H newc --quiet) > "$OUT"
rm -rf "$W"
echo "$KEY" > "$OUT.stamp"
rig_log "initramfs ready ($(du -h "$OUT" | cut -f1))"
