#!/bin/sh
# Baked into the base image: mount the run's payload disk and hand over to its rig-main.sh.
# Kept trivial so the base image never needs rebuilding when the rig's logic changes.
mkdir -p /opt/ferry-rig
if ! mount -o noatime /dev/vdb /opt/ferry-rig; then
  echo "RIG: FATAL: no payload disk"; systemctl poweroff; exit 1
fi
exec /bin/bash /opt/ferry-rig/src/hw-tests/rig/guest/rig-main.sh
