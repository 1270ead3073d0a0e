#!/bin/bash
# The rig's USB devices on dummy_hcd (two UDCs: gadget and host side live in the same kernel):
#   dummy_udc.0  CDC-ACM 1209:0001  -> /dev/ttyACM0 for ferry, /dev/ttyGS0 for serial-smp-device.mjs
#   dummy_udc.1  FunctionFS vendor class 1209:0002, bulk OUT/IN served by ffs-smp-device.mjs
# 1209:0001/0002 are pid.codes test ids. Appends FERRY_HW_* settings for the tests to ENVFILE.
set -euo pipefail
ENVFILE=$1
G=$(cd "$(dirname "$0")" && pwd)
CFS=/sys/kernel/config/usb_gadget
modprobe dummy_hcd num=2
for m in libcomposite usb_f_acm usb_f_fs cdc_acm; do modprobe $m; done
mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config
mkdir -p /run/ferry-rig

gadget() { # NAME VID PID SERIAL PRODUCT
  local d=$CFS/$1
  mkdir -p "$d"; echo "$2" > "$d/idVendor"; echo "$3" > "$d/idProduct"
  mkdir -p "$d/strings/0x409" "$d/configs/c.1/strings/0x409"
  echo "$4" > "$d/strings/0x409/serialnumber"; echo "ferry-rig" > "$d/strings/0x409/manufacturer"
  echo "$5" > "$d/strings/0x409/product"; echo "$1" > "$d/configs/c.1/strings/0x409/configuration"
}
wait_for() { local i; for i in $(seq 1 100); do [ -e "$1" ] && return 0; sleep 0.1; done; echo "usb-gadgets: $1 did not appear" >&2; return 1; }

# Like an operator's udev rule for a vendor-class device: ferry (group plugdev) may open it with libusb.
echo 'SUBSYSTEM=="usb", ATTR{idVendor}=="1209", ATTR{idProduct}=="0002", MODE="0660", GROUP="plugdev"' > /etc/udev/rules.d/70-ferry-rig.rules
udevadm control --reload

# 1. CDC-ACM: the serial path (an SMP device such as Zephyr's smp_svr over USB CDC-ACM).
gadget acm 0x1209 0x0001 rig-acm-0001 "ferry rig SMP serial"
mkdir -p $CFS/acm/functions/acm.usb0
ln -sf $CFS/acm/functions/acm.usb0 $CFS/acm/configs/c.1/
echo dummy_udc.0 > $CFS/acm/UDC
wait_for /dev/ttyGS0; wait_for /dev/ttyACM0
udevadm settle -t 10 || true
# The simulator's state (its file system, image slots, delay knob) lives in a folder the tests use.
systemd-run --unit=rig-serial-smp --quiet /usr/bin/node "$G/serial-smp-device.mjs" /dev/ttyGS0 /run/ferry-rig/serial-smp $CFS/acm/UDC
echo "RIG: usb: CDC-ACM 1209:0001 up: /dev/ttyACM0 <-> /dev/ttyGS0 ($(ls /dev/serial/by-id/ 2>/dev/null | tr '\n' ' '))"
{ echo FERRY_HW_SERIAL=/dev/ttyACM0; echo FERRY_HW_SERIAL_USB=1209:0001; echo FERRY_RIG_SERIAL_GADGET=/dev/ttyGS0
  echo FERRY_RIG_SERIAL_SIM=/run/ferry-rig/serial-smp; echo FERRY_RIG_SERIAL_UDC=$CFS/acm/UDC=dummy_udc.0; } >> "$ENVFILE"

# The power-cut suite needs the serial device only (RIG_GADGETS=acm): one node process less to start.
[ "${RIG_GADGETS:-all}" = acm ] && exit 0

# 2. FunctionFS vendor-class gadget: user space writes the descriptors, then the gadget may bind.
gadget smp 0x1209 0x0002 rig-smp-0002 "ferry rig SMP bulk"
mkdir -p $CFS/smp/functions/ffs.smp
ln -sf $CFS/smp/functions/ffs.smp $CFS/smp/configs/c.1/
mkdir -p /dev/ffs-smp
mountpoint -q /dev/ffs-smp || mount -t functionfs smp /dev/ffs-smp
rm -f /run/ferry-rig/ffs-smp.ready
systemd-run --unit=rig-ffs-smp --quiet -E UV_THREADPOOL_SIZE=8 /usr/bin/node "$G/ffs-smp-device.mjs" /dev/ffs-smp /run/ferry-rig/ffs-smp.ready /run/ferry-rig/usb-smp
wait_for /run/ferry-rig/ffs-smp.ready
echo dummy_udc.1 > $CFS/smp/UDC
udevadm settle -t 10 || true
echo "RIG: usb: FunctionFS 1209:0002 up: $(lsusb -d 1209:0002 2>/dev/null)"
{ echo FERRY_HW_USB=1209:0002; echo FERRY_RIG_USB_SIM=/run/ferry-rig/usb-smp; echo FERRY_RIG_USB_UDC=$CFS/smp/UDC=dummy_udc.1; } >> "$ENVFILE"
