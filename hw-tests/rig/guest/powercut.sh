#!/bin/bash
# The guest side of the power-cut suite, run by rig-main.sh instead of the hw tests when the kernel
# command line carries `rig.pc=` (the host's vm/powercut.mjs boots the VM on one persistent disk and
# cuts it). Every boot: the watcher, which starts the UDP SMP device and reports on
# the console. `setup` (the first boot) installs the origin unit and ferry, and queues the transfers;
# `final` (the last) lets both finish, records the result and the journals, and powers off. Other
# boots never end by themselves: the host cuts them.
P=/opt/ferry-rig
OUT=$P/out/powercut
G=$P/src/hw-tests/rig/guest
PHASE=$(sed -n 's/.*rig\.pc=\([a-z]*\).*/\1/p' /proc/cmdline)
mkdir -p "$OUT"
say() { printf 'RIG-PC: note {"text":"%s","t":%s}\n' "$*" "$(cut -d' ' -f1 /proc/uptime)"; }
say "guest phase=$PHASE"

# The watcher (node takes a while under TCG) puts the device's file into the device's folder and
# starts the UDP SMP device once ferry answers, so both transfers start moving about together.
SIM=/run/ferry-rig/udp-smp
node "$G/powercut-guest.mjs" watch "$OUT" "$SIM" &
WATCHER=$!

if [ "$PHASE" = setup ]; then
  # The origin lives on the persistent disk and starts before ferry on every later boot.
  install -D -m644 "$G/powercut-origin.mjs" /usr/local/lib/ferry-rig/powercut-origin.mjs
  install -D -m644 "$G/powercut-data.mjs" /usr/local/lib/ferry-rig/powercut-data.mjs
  cat > /etc/systemd/system/rig-pc-origin.service <<'EOU'
[Unit]
Description=ferry rig power-cut origin
Before=ferry.service
[Service]
ExecStart=/usr/bin/node /usr/local/lib/ferry-rig/powercut-origin.mjs 8091
[Install]
WantedBy=multi-user.target
EOU
  systemctl daemon-reload && systemctl enable --now rig-pc-origin.service
  mkdir -p /etc/systemd/system/ferry.service.d
  printf '[Service]\nTimeoutStartSec=300\n' > /etc/systemd/system/ferry.service.d/rig-slow-start.conf
  DEB=$(ls "$P"/install/ferry_*.deb | grep -v rigupgrade | head -1)
  T0=$(cut -d' ' -f1 /proc/uptime)
  bash "$G/install-ferry.sh" "$DEB" "$G/ferry.powercut.json" > "$OUT/install.txt" 2>&1 || { say "install-failed"; tail -20 "$OUT/install.txt"; }
  say "installed in $(awk -v a="$T0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN{printf "%.1f", b-a}') s"
  # What the install wrote must be on the disk before the first cut.
  sync
fi

wait $WATCHER
RC=$?
if [ "$PHASE" = final ]; then
  journalctl -u ferry.service -o short-monotonic --no-pager > "$OUT/ferry-journal.txt" 2>&1
  journalctl --list-boots --no-pager > "$OUT/boots.txt" 2>&1
  sync
  say "done rc=$RC"
  systemctl poweroff
fi
