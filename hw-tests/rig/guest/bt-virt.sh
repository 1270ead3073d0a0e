#!/bin/bash
# Two Bluetooth controllers on one virtual radio (hci_vhci + btvirt -l2): ferry scans on hci0, the
# rig's peripheral lives on hci1. btvirt needs debugfs (systemd mounts it) and AF_ALG (autoloaded).
# Appends FERRY_HW_BLE_* settings for the tests to ENVFILE.
set -euo pipefail
ENVFILE=$1
modprobe hci_vhci
for m in algif_hash algif_skcipher cmac ecb; do modprobe $m || true; done
systemd-run --unit=rig-btvirt --quiet /usr/bin/btvirt -l2
for i in $(seq 1 100); do [ -e /sys/class/bluetooth/hci1 ] && break; sleep 0.1; done
[ -e /sys/class/bluetooth/hci1 ] || { echo "bt-virt: no hci1" >&2; exit 1; }
addr() { hciconfig "$1" 2>/dev/null | awk '/BD Address/{print $3; exit}'; }
A0=$(addr hci0); A1=$(addr hci1)
echo "RIG: bluetooth: hci0=$A0 hci1=$A1 ($(timeout 5 bluetoothctl list 2>/dev/null | grep -a '^Controller' | tr '\n' ' '))"
{ echo FERRY_HW_BLE_ADAPTER=hci0; echo "FERRY_HW_BLE_ADDR=$A1"; echo FERRY_RIG_BLE_PERIPHERAL=hci1; } >> "$ENVFILE"
