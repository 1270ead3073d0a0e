#!/bin/bash
# Two Bluetooth controllers on one virtual radio (hci_vhci + btvirt -l2): ferry scans on hci0 through
# noble's HCI user channel, the rig's SMP peripheral (ble-smp-peripheral.ts) owns hci1 through an HCI
# user channel. bluetoothd is stopped and masked first: it would power the adapters from mgmt (a
# user channel cannot bind a powered adapter) and attach its own GATT client to every LE link ferry
# makes, answering on the same ATT channel as noble. btvirt needs debugfs (systemd mounts it) and
# AF_ALG (autoloaded). Appends FERRY_HW_BLE_* settings for the tests to ENVFILE.
set -euo pipefail
ENVFILE=$1
G=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$G/../../.." && pwd)   # the payload's tree with node_modules (tsx, bluetooth-hci-socket)
systemctl stop bluetooth.service 2>/dev/null || true
systemctl mask --runtime bluetooth.service >/dev/null 2>&1 || true
modprobe hci_vhci
for m in algif_hash algif_skcipher cmac ecb; do modprobe $m || true; done
systemd-run --unit=rig-btvirt --quiet /usr/bin/btvirt -l2
for i in $(seq 1 100); do [ -e /sys/class/bluetooth/hci1 ] && break; sleep 0.1; done
[ -e /sys/class/bluetooth/hci1 ] || { echo "bt-virt: no hci1" >&2; exit 1; }
addr() { hciconfig "$1" 2>/dev/null | awk '/BD Address/{print $3; exit}'; }
# Until setup ends the kernel holds new adapters. Both end down: an HCI user channel (the peripheral's
# on hci1, ferry's noble on hci0) binds only to an adapter that is not up.
for i in $(seq 1 50); do [ -n "$(addr hci1)" ] && [ "$(addr hci1)" != 00:00:00:00:00:00 ] && break; sleep 0.1; done
A0=$(addr hci0); A1=$(addr hci1)
hciconfig hci0 down || true
hciconfig hci1 down || true
echo "RIG: bluetooth: hci0=$A0 hci1=$A1 (bluetoothd stopped)"
{ echo FERRY_HW_BLE_ADAPTER=hci0; echo "FERRY_HW_BLE_ADDR=$A1"; echo FERRY_RIG_BLE_PERIPHERAL=hci1; } >> "$ENVFILE"

# The SMP peripheral: the simulator's file system holds RIG_BLE_FILE; 20 ms per request keeps a pull
# long enough to be cut mid-flight on purpose. It takes tens of seconds to start under TCG (tsx
# compiles the simulator), so it comes up while ferry installs; ble.test.ts waits for READY.
READY=/run/ferry-rig/ble-smp.ready
mkdir -p /run/ferry-rig && rm -f "$READY"
systemd-run --unit=rig-ble-smp --quiet -p WorkingDirectory="$SRC" \
  -E RIG_BLE_NAME=ferry-rig-smp -E RIG_BLE_FILE=/lfs/rig-ble.bin -E RIG_BLE_FILE_SIZE=32768 \
  -E RIG_BLE_DELAY_MS=20 -E RIG_BLE_AWAY_MS=6000 \
  /usr/bin/node --import tsx "$G/ble-smp-peripheral.ts" 1 "$READY"
echo "RIG: bluetooth: SMP peripheral starting on hci1 (unit rig-ble-smp)"
{ echo FERRY_HW_BLE_DEVICE=rig-ble; echo FERRY_RIG_BLE_UNIT=rig-ble-smp.service; echo "FERRY_RIG_BLE_READY=$READY"
  echo FERRY_RIG_BLE_FILE=/lfs/rig-ble.bin; echo FERRY_RIG_BLE_FILE_SIZE=32768; } >> "$ENVFILE"
