#!/bin/bash
# `npm run package:arm64` (root): builds build/ferry_<version>_arm64.deb in an emulated Debian 13
# arm64 root (qemu-user-static through binfmt_misc; debootstrap --foreign, then its second stage).
# The host's npm fetches the modules for arm64; the addons are cross-built on the host when
# g++-aarch64-linux-gnu is there (else built emulated); build-deb.sh then runs in the root. Inside
# that root it installs the .deb with apt-get, runs `ferryd --check-config` and the hardware-free
# unit tests. Slow (emulated); not part of CI. packaging/README.md has the steps and a run's figures.
# Needs the npm registry and the host's Debian mirror. Work dir: FERRY_ARM64_WORK.
set -euo pipefail
P=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$P/.." && pwd)
. "$REPO/hw-tests/rig/lib/common.sh"   # rig_mirror: the mirror the host's apt uses
say() { printf '[package:arm64 %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { say "error: $*"; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, binfmt_misc)"
W=${FERRY_ARM64_WORK:-/var/tmp/ferry-arm64}
R=$W/root
SUITE=trixie
TESTS=${FERRY_ARM64_TESTS:-test/policy test/config test/queue test/cli/format.test.ts test/drivers/smp-reassembler.test.ts}
mkdir -p "$W"

# 1. Run arm64 binaries: qemu-aarch64-static registered with binfmt_misc.
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
  command -v update-binfmts >/dev/null && [ -x /usr/bin/qemu-aarch64-static ] || die "install qemu-user-static and binfmt-support"
  mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  update-binfmts --enable qemu-aarch64
fi
grep -q enabled /proc/sys/fs/binfmt_misc/qemu-aarch64 || die "binfmt_misc has qemu-aarch64 disabled"

mounted=()
cleanup() { local m; for m in "${mounted[@]}"; do umount -l "$m" 2>/dev/null || true; done; }
trap cleanup EXIT
mnt() { mount "$@"; mounted=("${!#}" "${mounted[@]}"); }

# 2. The arm64 root, kept between runs (stamp): debootstrap's two stages, then the build tools.
PKGS="nodejs npm libnode-dev build-essential python3 dpkg-dev binutils ca-certificates"
KEY=$(printf '%s\n' "$SUITE" "$PKGS" | sha256sum | cut -c1-16)
if ! [ -f "$W/root.stamp" ] || [ "$(cat "$W/root.stamp")" != "$KEY" ]; then
  MIRROR=$(rig_mirror)
  rm -rf "$R"
  say "debootstrap $SUITE arm64 (first stage)"
  debootstrap --arch=arm64 --foreign --variant=minbase "$SUITE" "$R" "$MIRROR" > "$W/debootstrap.log" 2>&1 \
    || { tail -20 "$W/debootstrap.log"; die "debootstrap first stage failed"; }
  install -m755 /usr/bin/qemu-aarch64-static "$R/usr/bin/"
  say "debootstrap second stage (emulated)"
  chroot "$R" /debootstrap/debootstrap --second-stage >> "$W/debootstrap.log" 2>&1 \
    || { tail -20 "$W/debootstrap.log"; die "debootstrap second stage failed"; }
  echo "deb $MIRROR $SUITE main" > "$R/etc/apt/sources.list"
  cp /etc/resolv.conf "$R/etc/resolv.conf"
  say "apt-get install $PKGS (emulated)"
  chroot "$R" apt-get update -q >> "$W/debootstrap.log" 2>&1
  chroot "$R" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $PKGS >> "$W/debootstrap.log" 2>&1 \
    || { tail -20 "$W/debootstrap.log"; die "apt-get install in the arm64 root failed"; }
  echo "$KEY" > "$W/root.stamp"
fi
cp /etc/resolv.conf "$R/etc/resolv.conf"
# Added to the root after it was first made (the stamp covers PKGS only): installed when missing.
EXTRA="cpio"
for p in $EXTRA; do
  chroot "$R" dpkg -s "$p" >/dev/null 2>&1 || chroot "$R" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$p" >> "$W/debootstrap.log" 2>&1 \
    || die "apt-get install $p in the arm64 root failed"
done
mnt -t proc proc "$R/proc"
mnt --bind /dev "$R/dev"
say "arm64 root: $(chroot "$R" uname -m), node $(chroot "$R" node -v), npm $(chroot "$R" npm -v)"

# 3. The working tree's tracked files; their modules for arm64; the native addons built in the root.
# npm itself does not run emulated: on this host's qemu-user (7.2) Node's npm ci stalled for 40 min after
# its first extractions, busy, with no file written. So the host's npm fetches and unpacks the lockfile's
# modules for arm64 (`--cpu/--os/--libc` pick the arm64 optional packages; no install scripts run), and
# the emulated root runs only what must be built for arm64: node-gyp for each addon with sources.
rm -rf "$R/src" && mkdir -p "$R/src"
git -C "$REPO" ls-files -z --cached --others --exclude-standard | (cd "$REPO" && xargs -0 tar -cf - --no-recursion) | tar -C "$R/src" -xf -
T0=$(date +%s)
say "npm ci on the host for arm64 (no scripts)"
(cd "$R/src" && npm ci --ignore-scripts --cpu=arm64 --os=linux --libc=glibc --no-audit --no-fund) > "$W/npm-ci.log" 2>&1 \
  || { tail -30 "$W/npm-ci.log"; die "npm ci for arm64 failed (log: $W/npm-ci.log)"; }
say "npm ci: $(( $(date +%s) - T0 )) s; building the addons: better-sqlite3, bluetooth-hci-socket, ferry's own"
T0=$(date +%s)
# The install scripts of the two addons that build from source, minus any download (prebuild-install).
# With the host's cross compiler (g++-aarch64-linux-gnu) node-gyp builds them on the host against the
# root's Node headers (libnode-dev) in a minute; emulated, cc1 spent over 80 min on sqlite3.c alone.
# FERRY_ARM64_CROSS=no forces the emulated build.
if [ "${FERRY_ARM64_CROSS:-auto}" != no ] && command -v aarch64-linux-gnu-g++ >/dev/null; then
  GYP=$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js
  [ -f "$GYP" ] || die "no node-gyp next to the host's npm ($GYP)"
  say "cross-building the addons on the host: $(aarch64-linux-gnu-g++ --version | head -1)"
  (
    export CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ AR=aarch64-linux-gnu-ar
    # Debian's node headers include uv.h from libuv1-dev in the root's /usr/include; searched last, so
    # libc and libstdc++ headers stay the cross toolchain's own.
    export CFLAGS="-idirafter $R/usr/include" CXXFLAGS="-idirafter $R/usr/include"
    export npm_config_nodedir="$R/usr" PATH="$R/src/node_modules/.bin:$PATH"
    G="node $GYP --arch=arm64 --nodedir=$R/usr"
    cd "$R/src/node_modules/better-sqlite3" && $G rebuild --release &&
    cd "$R/src/node_modules/@abandonware/bluetooth-hci-socket" && $G rebuild --release --module_name=bluetooth_hci_socket --module_path=lib/binding &&
    cd "$R/src" && npm_config_node_gyp="$GYP" node native/build.mjs --arch=arm64 --release --loglevel=warn
  ) > "$W/addons.log" 2>&1 || { tail -30 "$W/addons.log"; die "cross-building the addons failed (log: $W/addons.log)"; }
else
  chroot "$R" sh -euc '
    export PATH=/src/node_modules/.bin:$PATH npm_config_nodedir=/usr
    cd /src/node_modules/better-sqlite3 && node-gyp rebuild --release
    cd /src/node_modules/@abandonware/bluetooth-hci-socket && node-pre-gyp install --build-from-source
    cd /src && node native/build.mjs --loglevel=warn
  ' > "$W/addons.log" 2>&1 || { tail -30 "$W/addons.log"; die "building the addons failed in the arm64 root (log: $W/addons.log)"; }
fi
# build-deb.sh's smoke test then loads every addon with the root's own (emulated) node.
say "addons: $(( $(date +%s) - T0 )) s: $(file -b "$R/src/node_modules/better-sqlite3/build/Release/better_sqlite3.node" | cut -d, -f1-2)"
T0=$(date +%s)
chroot "$R" sh -c 'cd /src && bash packaging/build-deb.sh' > "$W/package.log" 2>&1 \
  || { tail -30 "$W/package.log"; die "the package build failed in the arm64 root (log: $W/package.log)"; }
DEB=$(ls "$R"/src/build/ferry_*_arm64.deb)
say "package: $(( $(date +%s) - T0 )) s: $(basename "$DEB") $(du -h "$DEB" | cut -f1)"
mkdir -p "$REPO/build" && cp "$DEB" "$REPO/build/" && cp "$DEB" "$W/"

# 4. Inside the arm64 root: install it (no systemd runs here, so nothing starts), check the config,
# run the unit tests that need no hardware and no system services.
chroot "$R" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "/src/build/$(basename "$DEB")" > "$W/install.log" 2>&1 \
  || { tail -20 "$W/install.log"; die "apt-get install of the arm64 .deb failed"; }
chroot "$R" ferryd --check-config /etc/ferry/ferry.json
say "unit tests (emulated): $TESTS"
# shellcheck disable=SC2086
chroot "$R" sh -c "cd /src && node node_modules/vitest/vitest.mjs run $TESTS" 2>&1 | tee "$W/tests.log" | grep -E 'Test Files|Tests ' || true
grep -qE 'Tests .*passed' "$W/tests.log" && ! grep -qE 'Tests .*failed' "$W/tests.log" || die "unit tests failed in the arm64 root (log: $W/tests.log)"
echo "$REPO/build/$(basename "$DEB")"
