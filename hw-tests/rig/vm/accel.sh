#!/bin/bash
# Prints the accelerator to boot the rig with: RIG_ACCEL if set (tcg|kvm), else kvm only when a
# probe boot under KVM reaches the initramfs's user space (some hosts expose a /dev/kvm that cannot
# boot a normal kernel), else tcg. The verdict is cached per host kernel.
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"
if [ -n "${RIG_ACCEL:-}" ] && [ "$RIG_ACCEL" != auto ]; then echo "$RIG_ACCEL"; exit 0; fi
[ -r /dev/kvm ] && [ -w /dev/kvm ] || { echo tcg; exit 0; }
CACHE=$RIG_WORK/accel.$(uname -r)
[ -f "$CACHE" ] && { cat "$CACHE"; exit 0; }
K=$(rig_kernel)
OUT=$(timeout 20 qemu-system-x86_64 -accel kvm -cpu host -m 256 -no-reboot -nodefaults -display none -monitor none -serial stdio \
  -kernel "$RIG_WORK/kern/boot/vmlinuz-$K" -initrd "$RIG_WORK/initramfs.cpio" \
  -append "console=ttyS0 panic=-1 rdinit=/init rig.probe" < /dev/null 2>&1 || true)
if grep -q 'RIG-INIT: probe ok' <<<"$OUT"; then echo kvm > "$CACHE"; else echo tcg > "$CACHE"; fi
rig_log "accelerator probe: $(cat "$CACHE") (KVM $(grep -q 'probe ok' <<<"$OUT" && echo boots || echo 'does not boot a kernel here'))"
cat "$CACHE"
