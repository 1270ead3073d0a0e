#!/bin/bash
# `npm run test:rig`: builds (cached under hw-tests/rig/work) and boots the virtual hardware rig, a
# QEMU VM with Debian, systemd, NetworkManager, bluez and real kernel devices (dummy_hcd USB gadgets,
# btvirt, test_power); installs ferry there from this working tree, runs hw-tests/ inside, and
# brings results and ferry's journal back. Last line: `rig: N passed, M failed`. Needs root.
# Arguments are vitest file filters (default: all of hw-tests/), e.g. `npm run test:rig -- network`.
# `--powercut` (`npm run test:rig:powercut`) runs only the power-cut suite, with 10 cuts unless
# RIG_PC_CUTS says; with RIG_PC_CUTS set and no filter, a plain run adds that many cuts after the tests.
set -uo pipefail
PC_ONLY=0
if [ "${1:-}" = --powercut ]; then PC_ONLY=1; shift; fi
. "$(dirname "$0")/lib/common.sh"
[ "$(id -u)" = 0 ] || rig_die "the virtual rig needs root (debootstrap, chroot); CI runs as root"
for t in qemu-system-x86_64 debootstrap busybox mkfs.ext4 debugfs /usr/bin/time; do
  command -v "$t" >/dev/null || { rig_log "missing $t: installing host deps"; bash "$RIG_DIR/install-host-deps.sh" || exit 2; break; }
done
mkdir -p "$RIG_WORK"
T0=$(rig_now)
COLD=0
for step in kernel initramfs rootfs; do
  S0=$(rig_now)
  bash "$RIG_DIR/build/$step.sh" || { echo "rig: build step $step failed"; echo "rig: 0 passed, 1 failed"; exit 1; }
  D=$(rig_secs "$S0" "$(rig_now)")
  awk -v d="$D" 'BEGIN{exit !(d > 3)}' && { COLD=1; rig_log "$step: ${D} s"; }
done
ACCEL=$(bash "$RIG_DIR/vm/accel.sh")
T1=$(rig_now)
RIG_TEST_FILTER="$*" bash "$RIG_DIR/build/payload.sh" || { echo "rig: payload build failed"; echo "rig: 0 passed, 1 failed"; exit 1; }
T2=$(rig_now)
if [ $COLD = 1 ]; then echo "rig: cold build $(rig_secs "$T0" "$T1") s (kernel, test_power, debootstrap, base image) + payload $(rig_secs "$T1" "$T2") s"
else echo "rig: build cached; payload $(rig_secs "$T1" "$T2") s"; fi

RUN=$RIG_WORK/runs/$(date +%Y%m%d-%H%M%S)
mkdir -p "$RUN"
ln -sfn "$RUN" "$RIG_WORK/runs/latest"
LOG=$RUN/console.log
if [ $PC_ONLY = 0 ]; then
  echo "rig: booting with $ACCEL"
  : > "$LOG"
  RIG_ACCEL=$ACCEL bash "$RIG_DIR/vm/boot.sh" "$LOG" &
  VM=$!
  # Show the guest's progress: rig markers and vitest's per-test lines.
  tail -n +1 -F --pid=$VM "$LOG" 2>/dev/null | grep --line-buffered -aE '^RIG: |^ *[✓×↓] |FAIL ' &
  TAILPID=$!
  wait $VM; VMRC=$?
  sleep 0.5; kill $TAILPID 2>/dev/null; wait $TAILPID 2>/dev/null
  T3=$(rig_now)
  [ $VMRC = 0 ] || echo "rig: the VM ended with status $VMRC (124: timed out)"
  grep -aq '^RIG: DONE' "$LOG" || echo "rig: the guest did not finish its run (see $LOG)"
  # Results come back on the payload disk; debugfs reads ext4 without mounting (no loop device needed).
  debugfs -R "rdump /out $RUN" "$RIG_WORK/payload.img" >/dev/null 2>&1 || echo "rig: could not read results from the payload disk"
  [ -f "$RUN/out/ferry-journal.txt" ] && cp "$RUN/out/ferry-journal.txt" "$RUN/"
  echo "rig: VM run $(rig_secs "$T2" "$T3") s (boot, install, tests); total $(rig_secs "$T0" "$T3") s; results in $RUN"
fi
if [ $PC_ONLY = 1 ] || { [ -z "$*" ] && [ -n "${RIG_PC_CUTS:-}" ]; }; then
  # The power-cut suite boots the same payload again, on a root disk of its own (vm/powercut.mjs).
  T4=$(rig_now)
  mkdir -p "$RUN/out"
  RIG_ACCEL=$ACCEL RIG_PC_CUTS=${RIG_PC_CUTS:-10} node "$RIG_DIR/vm/powercut.mjs" "$RUN"
  debugfs -R "rdump /out/powercut $RUN/out" "$RIG_WORK/payload.img" >/dev/null 2>&1 || echo "rig: could not read the power-cut results from the payload disk"
  echo "rig: power cut $(rig_secs "$T4" "$(rig_now)") s; total $(rig_secs "$T0" "$(rig_now)") s; results in $RUN"
fi
node "$RIG_DIR/vm/summarise.mjs" "$RUN/out" "$LOG.time"
