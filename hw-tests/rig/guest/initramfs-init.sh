#!/bin/sh
# /init of the rig's tiny initramfs: load virtio_blk + ext4 from Debian's kernel, mount /dev/vda,
# switch_root to systemd. Anything else belongs in the root filesystem.
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
# Accelerator probe (vm/accel.sh): reaching user space at all is the test.
grep -q rig.probe /proc/cmdline && { echo "RIG-INIT: probe ok"; poweroff -f; }
while read -r m; do insmod "$m"; done < /mods.list
i=0; while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
mkdir -p /newroot
mount -t ext4 -o rw /dev/vda /newroot || { echo "RIG-INIT: cannot mount /dev/vda"; poweroff -f; }
umount /proc /sys; mount --move /dev /newroot/dev
exec switch_root /newroot /sbin/init "$@"
