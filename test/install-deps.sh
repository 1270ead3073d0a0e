#!/usr/bin/env bash
# System packages the tests need (Debian). Run as root (or through sudo); idempotent and quick when
# everything is already there.
set -euo pipefail
pkgs=(dbus python3-dbusmock socat nginx-light curl openssl systemd build-essential python3 mosquitto mosquitto-clients iproute2 passwd util-linux faketime)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || apt-get update -qq   # a mirror mid-sync can fail once
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
