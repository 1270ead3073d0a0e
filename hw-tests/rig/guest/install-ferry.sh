#!/bin/bash
# Installs ferry from its Debian package the way an operator does on a gateway (e.g. a Raspberry Pi):
# `apt-get install ./ferry_….deb`, nothing downloaded (the package's dependencies must already be
# installed, as on the rig's offline guest). The package creates the user, applies sysusers and
# tmpfiles, enables and starts ferry.service. A config placed at /etc/ferry/ferry.json beforehand
# (a fleet image's, or CONFIG.json given here) is kept over the package's default (--force-confold).
# Usage: install-ferry.sh FERRY.deb [CONFIG.json]   (root)
set -euo pipefail
DEB=$(realpath "$1"); CONF=${2:-}
[ -f "$DEB" ] || { echo "install-ferry: $1 is not a file" >&2; exit 1; }
if [ -n "$CONF" ]; then
  install -d /etc/ferry
  install -m644 "$CONF" /etc/ferry/ferry.json
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Options::=--force-confold "$DEB"
/usr/bin/ferryd --check-config /etc/ferry/ferry.json
echo "install-ferry: ferry $(dpkg-query -W -f '${Version}' ferry) installed; ferry.service $(systemctl is-active ferry.service 2>/dev/null || true)"
