#!/bin/bash
# The guest's base image ($RIG_WORK/base.img, ext4): Debian trixie with systemd, NetworkManager,
# bluez + btvirt, Debian's own nodejs (what ferry's package depends on), and the pinned host kernel's
# modules + test_power.ko. It holds no ferry: each run brings the ferry .deb and the tests on a payload
# disk, so code changes never rebuild this. The guest has no network: everything the package depends
# on must already be here, which is what `apt-get install ./ferry_….deb` in the guest proves.
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"
K=$(rig_kernel)
PKGS=systemd,libpam-systemd,systemd-sysv,udev,dbus,kmod,iproute2,network-manager,bluez,bluez-test-tools,usbutils,procps,libusb-1.0-0,libstdc++6,nodejs,curl,ca-certificates,psmisc,less

# 1. debootstrap (the slow, network-bound step) into a pristine tree kept for re-customising.
BOOT=$RIG_WORK/debootstrap
BKEY=$(rig_key "$RIG_SUITE" "$PKGS")
if ! rig_fresh "$BOOT.stamp" "$BKEY"; then
  MIRROR=$(rig_mirror)
  rig_log "debootstrap $RIG_SUITE (minbase + ${PKGS//,/ })"
  rm -rf "$BOOT" "$BOOT.tmp"
  if ! debootstrap --variant=minbase --include="$PKGS" "$RIG_SUITE" "$BOOT.tmp" "$MIRROR" > "$RIG_WORK/debootstrap.log" 2>&1; then
    tail -30 "$RIG_WORK/debootstrap.log"; rig_die "debootstrap failed (log: $RIG_WORK/debootstrap.log)"
  fi
  rm -rf "$BOOT.tmp/var/cache/apt/archives/"*.deb
  mv "$BOOT.tmp" "$BOOT"
  echo "$BKEY" > "$BOOT.stamp"
fi

# 2. customise a copy and pack it.
IMG=$RIG_WORK/base.img
KEY=$(rig_key "$BKEY" "$K" "$0" "$RIG_DIR/guest/rig-boot.sh" "$RIG_DIR/guest/ferry-rig.service" "$RIG_WORK/testpower/test_power.ko")
rig_fresh "$IMG.stamp" "$KEY" && [ -f "$IMG" ] && exit 0
rig_log "base image: customise"
R=$RIG_WORK/rootfs
rm -rf "$R"; cp -a "$BOOT" "$R"
echo rig > "$R/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 rig\n::1 localhost\n' > "$R/etc/hosts"
echo '/dev/vda / ext4 defaults,noatime 0 1' > "$R/etc/fstab"
chroot "$R" passwd -d root >/dev/null

# Kernel modules: the subsets the rig touches (USB gadget + host, Bluetooth, virtio, net, fs, crypto for AF_ALG).
KM=$R/lib/modules/$K/kernel; KS=$RIG_WORK/kern/lib/modules/$K/kernel
for d in drivers/usb drivers/bluetooth drivers/virtio drivers/net drivers/char drivers/block drivers/tty drivers/hid drivers/input drivers/power net fs crypto lib arch; do
  [ -d "$KS/$d" ] || continue
  mkdir -p "$KM/$(dirname $d)"; cp -a "$KS/$d" "$KM/$(dirname $d)/"
done
cp "$RIG_WORK/kern/lib/modules/$K"/modules.{order,builtin,builtin.modinfo} "$R/lib/modules/$K/"
install -D -m644 "$RIG_WORK/testpower/test_power.ko" "$R/lib/modules/$K/extra/test_power.ko"
depmod -b "$R" "$K"
echo 'options dummy_hcd num=2' > "$R/etc/modprobe.d/rig-dummy-hcd.conf"

# Node: Debian's nodejs package (trixie: 20.19), the one ferry's package depends on.
NODE_VERSION=$(chroot "$R" /usr/bin/node -v) || rig_die "Debian's node does not run in the guest root"
rig_log "guest node $NODE_VERSION ($(chroot "$R" dpkg-query -W -f '${Version}' nodejs))"
# The guest is offline: no package lists, so apt resolves ferry's .deb against what is installed only
# (a gateway without a network does the same), and does not parse the whole archive index under TCG.
rm -rf "$R"/var/lib/apt/lists/* "$R"/var/cache/apt/*.bin

# NetworkManager: one predictable wired profile the network tests can modify. Static, with a gateway:
# QEMU's restrict=on user net hands out no router, and without a default route NetworkManager has
# no primary connection (a gateway always has one). The gateway answers nothing: traffic stays inside.
cat > "$R/etc/NetworkManager/system-connections/rig-wired.nmconnection" <<'EOC'
[connection]
id=rig-wired
type=ethernet
autoconnect=true
[ipv4]
method=manual
address1=10.0.2.15/24,10.0.2.2
ignore-auto-dns=true
[ipv6]
method=ignore
EOC
chmod 600 "$R/etc/NetworkManager/system-connections/rig-wired.nmconnection"
printf '[main]\nno-auto-default=*\n' > "$R/etc/NetworkManager/conf.d/rig.conf"

install -m755 "$RIG_DIR/guest/rig-boot.sh" "$R/usr/local/sbin/rig-boot"
install -m644 "$RIG_DIR/guest/ferry-rig.service" "$R/etc/systemd/system/ferry-rig.service"
chroot "$R" systemctl enable ferry-rig.service NetworkManager.service bluetooth.service >/dev/null 2>&1
# getty's vhangup() on ttyS0 would cut the console the rig reports on; timers only cost boot time.
chroot "$R" systemctl mask serial-getty@ttyS0.service getty@tty1.service apt-daily.timer apt-daily-upgrade.timer \
  e2scrub_all.timer e2scrub_reap.service fstrim.timer systemd-timesyncd.service >/dev/null 2>&1
rm -f "$IMG"
SZ=$(( $(du -sm "$R" | cut -f1) + 400 ))
mkfs.ext4 -q -F -L rigroot -d "$R" "$IMG" "${SZ}M" >/dev/null
rm -rf "$R"
echo "$KEY" > "$IMG.stamp"
rig_log "base image ready ($(du -h --apparent-size "$IMG" | cut -f1))"
