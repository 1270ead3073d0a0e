#!/bin/bash
# Runs inside the rig VM from the payload disk: brings up the virtual devices, installs ferry the
# way an operator would, runs hw-tests/ against it and leaves results, ferry's journal and
# measurements in /opt/ferry-rig/out. Always powers off, whatever happened.
P=/opt/ferry-rig
OUT=$P/out
G=$P/src/hw-tests/rig/guest
# The power-cut suite (hw-tests/rig/vm/powercut.mjs) boots the same payload with `rig.pc=` instead.
grep -q 'rig\.pc=' /proc/cmdline && exec /bin/bash "$G/powercut.sh"
mkdir -p "$OUT"
exec > >(tee -a "$OUT/console.log") 2>&1
up() { cut -d' ' -f1 /proc/uptime; }
say() { echo "RIG: $* (t=$(up))"; }
finish() {
  say "collecting"
  journalctl -u ferry.service -o short-monotonic --no-pager > "$OUT/ferry-journal.txt" 2>&1
  journalctl -b -o short-monotonic --no-pager > "$OUT/journal.txt" 2>&1
  systemctl --failed --no-legend > "$OUT/failed-units.txt" 2>&1
  free -m > "$OUT/free.txt"
  sync
  say "DONE"
  systemctl poweroff
}
trap finish EXIT
say "start: $(uname -r), node $(node -v), systemd $(systemctl --version | head -1 | cut -d' ' -f2)"

# --- virtual devices (each step reports and goes on: the tests say what is missing) ---
modprobe test_power && say "power: test_power loaded: $(ls /sys/class/power_supply | tr '\n' ' ')"
bash "$G/usb-gadgets.sh" "$OUT/devices.env" || say "usb gadgets: setup failed (rc=$?)"
bash "$G/bt-virt.sh" "$OUT/devices.env" || say "bluetooth: setup failed (rc=$?)"
nm-online -q -t 30 && say "network: NetworkManager online: $(nmcli -t -f NAME,DEVICE,TYPE connection show --active | tr '\n' ' ')"

# --- ferry, installed from its Debian package as an operator would ---
# Drop-ins and the config go in first, so the package's postinst starts ferry as the rig needs it:
# the rig-only rig.conf (the watchdog test's hang hook, a short watchdog); BLE as an operator enables
# it: the shipped opt-in drop-in (HCI capabilities), the adapter noble binds (hci1 belongs to the
# rig's peripheral), and noble on an HCI user channel (on a raw channel bluetooth-hci-socket connects
# through a blocking kernel L2CAP connect() on the main thread, which stalls ferryd past its
# watchdog while the kernel looks for the peer); the rig's config, kept over the package's default.
DEB=$(ls "$P"/install/ferry_*.deb | grep -v rigupgrade | head -1)
UPGRADE_DEB=$(ls "$P"/install/ferry_*rigupgrade*.deb 2>/dev/null | head -1)
# The watchdog test's hang hook, preloaded (rig.conf) from a root-owned path ferry's sandbox can read.
install -D -m644 "$P/src/test/support/hang-on-signal.mjs" /usr/local/lib/ferry-rig/hang-on-signal.mjs
mkdir -p /etc/systemd/system/ferry.service.d
cp "$G/ferry-rig.conf" /etc/systemd/system/ferry.service.d/rig.conf
cp "$P/src/systemd/ferry-ble.conf" /etc/systemd/system/ferry.service.d/ble.conf
printf '[Service]\nEnvironment=NOBLE_HCI_DEVICE_ID=0 HCI_CHANNEL_USER=1\n' > /etc/systemd/system/ferry.service.d/ble-adapter.conf
# TCG on a busy host is slow: ferry's first start (from the package's postinst) gets more than
# systemd's default 90 s.
printf '[Service]\nTimeoutStartSec=300\n' > /etc/systemd/system/ferry.service.d/rig-slow-start.conf
T0=$(up)
bash "$G/install-ferry.sh" "$DEB" "$G/ferry.rig.json"
RC=$?
SECS=$(awk -v a="$T0" -v b="$(up)" 'BEGIN{printf "%.1f", b-a}')
echo "rc=$RC seconds=$SECS version=$(dpkg-query -W -f '${Version}' ferry 2>/dev/null)" > "$OUT/package-install.txt"
if [ $RC = 0 ]; then
  say "ferry: apt-get install $(basename "$DEB") took $SECS s (unpack, user, enable, start until READY); $(systemctl is-active ferry.service)"
  systemd-analyze security ferry.service > "$OUT/security.txt" 2>&1
  say "ferry: $(tail -1 "$OUT/security.txt")"
else
  say "ferry: package install failed (rc=$RC)"; systemctl status --no-pager ferry.service | tail -15
fi

# A snapshot of what ferry and the system see, before the tests change anything.
{
  echo "== GET /v1/conditions"; curl -s --max-time 10 --unix-socket /run/ferry/ferry.sock http://ferry/v1/conditions; echo
  echo "== nmcli general"; nmcli -t general
  echo "== nmcli device"; nmcli -t -f DEVICE,TYPE,STATE,CONNECTION device
  echo "== NM PrimaryConnection / Metered"
  busctl get-property org.freedesktop.NetworkManager /org/freedesktop/NetworkManager org.freedesktop.NetworkManager PrimaryConnection Metered
  echo "== ip route"; ip route
  echo "== power_supply"; grep -H . /sys/class/power_supply/*/{type,online,status,capacity} 2>/dev/null
  echo "== USB device nodes, ferry's groups"; ls -l /dev/bus/usb/*/*; id ferry
  echo "== usb package as user ferry (outside the unit's sandbox)"
  PROBE="import('/usr/lib/ferry/dist/drivers/usb/load-usb.js').then((m) => m.loadUsb({ onUnavailable: (e) => console.log('unavailable:', e.message) })).then(async (u) => console.log('loadUsb:', u ? (await u.getDeviceList()).length + ' devices' : 'null'))"
  echo "-- loadUsb as ferry, no sandbox:"; runuser -u ferry -- node -e "$PROBE"
  echo "-- loadUsb as ferry with only DevicePolicy=closed + DeviceAllow=char-usb_device:"
  systemd-run --quiet --wait --pipe -p User=ferry -p DevicePolicy=closed -p DeviceAllow='char-usb_device rw' -p DeviceAllow='/dev/null rw' node -e "$PROBE"
  echo "-- loadUsb with the unit's own sandbox (properties from ferry.service):"
  mapfile -t PROPS < <(systemctl cat ferry.service | grep -E '^(User|Group|SupplementaryGroups|DevicePolicy|DeviceAllow|Protect[A-Za-z]+|PrivateTmp|PrivateMounts|NoNewPrivileges|CapabilityBoundingSet|RestrictAddressFamilies|SystemCallFilter|SystemCallErrorNumber|RestrictNamespaces)=' | sed 's/^/-p/')
  systemd-run --quiet --wait --pipe "${PROPS[@]}" node -e "$PROBE"
} > "$OUT/diag.txt" 2>&1

# --- the tests ---
set -a
FERRY_RIG=1
FERRY_RIG_OUT=$OUT
FERRY_SOCKET=/run/ferry/ferry.sock
FERRY_HW_SYSTEMD_UNIT=ferry.service
FERRY_HW_POWER=test_power
FERRY_HW_NM_CONNECTION=rig-wired
# Device ids in guest/ferry.rig.json.
FERRY_HW_SERIAL_DEVICE=rig-serial
FERRY_HW_USB_DEVICE=rig-usb
FERRY_RIG_PACKAGE_INSTALL=$OUT/package-install.txt
FERRY_HW_PACKAGE_UPGRADE=$UPGRADE_DEB
# shellcheck disable=SC1091
[ -f "$OUT/devices.env" ] && . "$OUT/devices.env"
set +a
grep -h . "$OUT/devices.env" 2>/dev/null | sed 's/^/RIG: env /'
say "tests: start"
FILTER=$(cat "$P/rig-args" 2>/dev/null)
# The package's upgrade/remove/purge test removes ferry: it runs last, on its own, after the measurements.
# shellcheck disable=SC2086
cd "$P/src" && node node_modules/vitest/vitest.mjs run ${FILTER:-hw-tests} --no-file-parallelism --exclude '**/package-lifecycle.test.ts' \
  --reporter=verbose --reporter=json --outputFile.json="$OUT/vitest.json" --no-color
say "tests: end rc=$?"

# --- measurements ---
PID=$(systemctl show -p MainPID --value ferry.service 2>/dev/null)
if [ -n "$PID" ] && [ "$PID" != 0 ]; then
  grep -E 'VmRSS|VmHWM' "/proc/$PID/status" | tr -s ' ' | sed 's/^/RIG: ferry /'
  awk '/VmRSS/{r=$2} /VmHWM/{h=$2} END{printf "{\"ferryRssKb\":%d,\"ferryHwmKb\":%d}\n", r, h}' "/proc/$PID/status" > "$OUT/ferry-mem.json"
fi
free -m | sed 's/^/RIG: mem /'

if [ -z "$FILTER" ] || [[ "$FILTER" == *package* ]]; then
  say "package: upgrade, remove, purge"
  node node_modules/vitest/vitest.mjs run hw-tests/rig/tests/package-lifecycle.test.ts \
    --reporter=verbose --reporter=json --outputFile.json="$OUT/vitest-package.json" --no-color
  say "package: end rc=$?"
fi

