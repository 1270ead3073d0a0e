#!/bin/bash
# The run's payload disk ($RIG_WORK/payload.img, ext4, rebuilt every run from the working tree):
#   install/  ferry_<version>_<arch>.deb (packaging/build-deb.sh) and a rebuild with a higher version
#             (…+rigupgrade1) for the upgrade test
#   src/      the hw tests with the full node_modules to run them (vitest)
#   out/      empty; the guest leaves results, ferry's journal and measurements here
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"
S=$RIG_WORK/payload
rm -rf "$S" && mkdir -p "$S"/{install,src,out}
cd "$REPO_DIR"

# ferry as an operator gets it: its Debian package built from this working tree by the same script
# as `npm run package` (offline), plus the same tree packaged again with a higher version for the
# upgrade test.
FERRY_DEB_OUT=$S/install bash packaging/build-deb.sh >/dev/null
V=$(node -p 'require("./package.json").version')-1
FERRY_DEB_RESTAMP=1 FERRY_DEB_VERSION=$V+rigupgrade1 FERRY_DEB_OUT=$S/install bash packaging/build-deb.sh >/dev/null

# The tests: all of hw-tests/ (the rig's work dir excluded), their support code, and node_modules.
mkdir -p "$S/src/hw-tests"
tar -C hw-tests --exclude=./rig/work -cf - . | tar -C "$S/src/hw-tests" -xf -
[ -d test/support ] && { mkdir -p "$S/src/test"; cp -a test/support "$S/src/test/support"; }
# hw tests may import the project's sources (vitest compiles them on the fly).
cp -a src drivers systemd "$S/src/"
cp package.json tsconfig.json vitest.config.ts "$S/src/" 2>/dev/null || true
cp -al node_modules "$S/src/node_modules"
rm -rf "$S/src/node_modules/.vite" "$S/src/node_modules/.vitest"

# Test file filters for vitest (run.sh's arguments), e.g. `npm run test:rig -- network`.
printf '%s\n' "${RIG_TEST_FILTER:-}" > "$S/rig-args"

IMG=$RIG_WORK/payload.img
SZ=$(( $(du -sm "$S" | cut -f1) * 12 / 10 + 128 ))
rm -f "$IMG"
mkfs.ext4 -q -F -L rigpayload -d "$S" "$IMG" "${SZ}M" >/dev/null
rig_log "payload ready (${SZ} MB: packages $(du -ch "$S"/install/*.deb | tail -1 | cut -f1), tests $(du -sh "$S/src" | cut -f1))"
