#!/bin/bash
# Installs ferry from a release (a tar, or the same tree unpacked: dist/, build/Release/
# ferry_native.node, production node_modules, package.json, systemd/, config/) the way an operator
# does on a gateway, e.g. a Raspberry Pi: code in /usr/lib/ferry, launchers in /usr/bin, unit +
# sysusers + tmpfiles applied, config checked.
# Usage: install-ferry.sh RELEASE.tar|DIR [CONFIG.json]   (root; starting ferry is left to the caller)
set -euo pipefail
REL=$1; CONF=${2:-}
L=/usr/lib/ferry
rm -rf "$L.new" && mkdir -p "$L.new"
if [ -f "$REL" ]; then tar -xf "$REL" -C "$L.new"; else cp -a "$REL/." "$L.new/"; fi
[ -f "$L.new/dist/src/cli/ferryd.js" ] || { echo "install-ferry: $REL has no dist/src/cli/ferryd.js" >&2; exit 1; }
rm -rf "$L" && mv "$L.new" "$L"

# Launchers exec node so that node is the unit's main PID (NotifyAccess=main).
for b in ferryd ferryctl; do
  printf '#!/bin/sh\nexec /usr/bin/node %s/dist/src/cli/%s.js "$@"\n' "$L" "$b" > "/usr/bin/$b"
  chmod 755 "/usr/bin/$b"
done
install -D -m644 "$L/systemd/ferry.service" /usr/lib/systemd/system/ferry.service
[ -f "$L/systemd/ferry.sysusers" ] && install -D -m644 "$L/systemd/ferry.sysusers" /usr/lib/sysusers.d/ferry.conf
[ -f "$L/systemd/ferry.tmpfiles" ] && install -D -m644 "$L/systemd/ferry.tmpfiles" /usr/lib/tmpfiles.d/ferry.conf
systemd-sysusers
systemd-tmpfiles --create /usr/lib/tmpfiles.d/ferry.conf 2>/dev/null || systemd-tmpfiles --create
mkdir -p /etc/ferry
if [ -n "$CONF" ] && [ "$(realpath "$CONF")" != /etc/ferry/ferry.json ]; then install -m640 -g ferry "$CONF" /etc/ferry/ferry.json
elif [ ! -f /etc/ferry/ferry.json ] && [ -f "$L/config/ferry.json" ]; then install -m640 -g ferry "$L/config/ferry.json" /etc/ferry/ferry.json
fi
/usr/bin/ferryd --check-config /etc/ferry/ferry.json
systemctl daemon-reload
echo "install-ferry: $(/usr/bin/ferryd --version 2>/dev/null || echo '?') installed in $L"
