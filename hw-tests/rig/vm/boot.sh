#!/bin/bash
# Boots the rig VM once: base image (snapshot: every boot starts clean) + payload disk, serial
# console to LOG, QEMU's pid to LOG.pid. Guest network: user-mode NIC with restrict=on, so
# NetworkManager has a real link but nothing leaves the guest. Usage: boot.sh LOG
# (env: RIG_ACCEL auto|tcg|kvm, RIG_MEM_MB, RIG_TIMEOUT_S; the power-cut suite adds RIG_ROOT_QCOW2, a
# qcow2 overlay of the base image that keeps the guest's writes from boot to boot, and RIG_APPEND,
# more kernel arguments)
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"
LOG=$1
K=$(rig_kernel)
ACCEL=$(bash "$RIG_DIR/vm/accel.sh")
if [ "$ACCEL" = kvm ]; then ACCELOPT=kvm; CPU=host
else ACCELOPT="tcg,tb-size=${RIG_TB_MB:-256}"; CPU=max; fi   # default TCG translation cache is 1 GiB of host RSS
if [ -n "${RIG_ROOT_QCOW2:-}" ]; then ROOTDRIVE="file=$RIG_ROOT_QCOW2,if=virtio,format=qcow2"
else ROOTDRIVE="file=$RIG_WORK/base.img,if=virtio,format=raw,snapshot=on"; fi
/usr/bin/time -f '%M %e' -o "$LOG.time" \
timeout "${RIG_TIMEOUT_S:-2400}" qemu-system-x86_64 -accel "$ACCELOPT" -cpu "$CPU" -smp 2 -m "${RIG_MEM_MB:-1024}" \
  -no-reboot -nodefaults -display none -monitor none -serial stdio \
  -kernel "$RIG_WORK/kern/boot/vmlinuz-$K" -initrd "$RIG_WORK/initramfs.cpio" \
  -drive "$ROOTDRIVE" -pidfile "$LOG.pid" \
  -drive file="$RIG_WORK/payload.img",if=virtio,format=raw \
  -nic user,model=virtio-net-pci,restrict=on \
  -append "console=ttyS0 loglevel=4 panic=-1 rdinit=/init systemd.show_status=false${RIG_APPEND:+ $RIG_APPEND}" \
  < /dev/null > "$LOG" 2>&1
