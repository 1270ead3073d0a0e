#!/bin/bash
# The run's payload disk ($RIG_WORK/payload.img, ext4, rebuilt every run from the working tree):
#   install/  ferry-linux-x64.tar: what an operator unpacks on a gateway (dist/, addon, production
#             node_modules, systemd/, config/)
#   src/      the hw tests with the full node_modules to run them (vitest)
#   out/      empty; the guest leaves results, ferry's journal and measurements here
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"
S=$RIG_WORK/payload
rm -rf "$S" && mkdir -p "$S"/{install,src,out}
cd "$REPO_DIR"

# ferry, built the way a release would be: tsc to dist/ (incremental, kept in the work dir so the
# developer's own dist/ is untouched) and the N-API addon.
TSC_OUT=$RIG_WORK/dist
if ! node node_modules/typescript/bin/tsc -p tsconfig.json --outDir "$TSC_OUT" --incremental \
     --tsBuildInfoFile "$RIG_WORK/tsbuildinfo" > "$RIG_WORK/tsc.log" 2>&1; then
  rig_log "warning: tsc reported errors (emitted anyway; see $RIG_WORK/tsc.log):"
  head -5 "$RIG_WORK/tsc.log" >&2
fi
# Incremental builds keep outputs of sources since deleted or renamed: drop them.
find "$TSC_OUT" -name '*.js' | while read -r js; do
  rel=${js#"$TSC_OUT"/}; [ -f "${rel%.js}.ts" ] || rm -f "$js" "$js.map"
done
ADDON=build/Release/ferry_native.node
if [ -f binding.gyp ] && { [ ! -f "$ADDON" ] || [ -n "$(find native binding.gyp -newer "$ADDON" -type f 2>/dev/null)" ]; }; then
  rig_log "building the native addon"
  npm run -s build:native >/dev/null
fi
# The release: one tar an operator would download and unpack to /usr/lib/ferry (one sequential
# read in the guest instead of thousands of small files), pruned of what never runs on a gateway.
REL=$RIG_WORK/release
rm -rf "$REL" && mkdir -p "$REL/node_modules"
cp -al "$TSC_OUT" "$REL/dist"
[ -f "$ADDON" ] && install -D -m644 "$ADDON" "$REL/$ADDON"
cp package.json package-lock.json "$REL/"
[ -d systemd ] && cp -a systemd "$REL/systemd"
[ -d config ] && cp -a config "$REL/config"
node "$RIG_DIR/build/prod-modules.mjs" . | while read -r m; do
  mkdir -p "$REL/$(dirname "$m")"; cp -al "$m" "$REL/$m"
done
( cd "$REL/node_modules"
  find . \( -name '*.md' -o -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -type f -delete
  # Prebuilt addons for other platforms, and native build intermediates / bundled C sources.
  find . -type d -name prebuilds | while read -r d; do find "$d" -mindepth 1 -maxdepth 1 ! -name 'linux-x64*' -exec rm -rf {} +; done
  rm -rf better-sqlite3/deps better-sqlite3/src better-sqlite3/build/Release/obj better-sqlite3/build/Release/obj.target \
         better-sqlite3/build/Release/.deps better-sqlite3/build/deps better-sqlite3/build/Release/test_extension.node )
tar -C "$REL" -cf "$S/install/ferry-linux-x64.tar" .
rm -rf "$REL"

# The tests: all of hw-tests/ (the rig's work dir excluded), their support code, and node_modules.
mkdir -p "$S/src/hw-tests"
tar -C hw-tests --exclude=./rig/work -cf - . | tar -C "$S/src/hw-tests" -xf -
[ -d test/support ] && { mkdir -p "$S/src/test"; cp -a test/support "$S/src/test/support"; }
# hw tests may import the project's sources (vitest compiles them on the fly).
cp -a src drivers "$S/src/"
cp package.json tsconfig.json vitest.config.ts "$S/src/" 2>/dev/null || true
cp -al node_modules "$S/src/node_modules"
rm -rf "$S/src/node_modules/.vite" "$S/src/node_modules/.vitest"

# Test file filters for vitest (run.sh's arguments), e.g. `npm run test:rig -- network`.
printf '%s\n' "${RIG_TEST_FILTER:-}" > "$S/rig-args"

IMG=$RIG_WORK/payload.img
SZ=$(( $(du -sm "$S" | cut -f1) * 12 / 10 + 128 ))
rm -f "$IMG"
mkfs.ext4 -q -F -L rigpayload -d "$S" "$IMG" "${SZ}M" >/dev/null
rig_log "payload ready (${SZ} MB: release $(du -h "$S/install/ferry-linux-x64.tar" | cut -f1), tests $(du -sh "$S/src" | cut -f1))"
