#!/bin/bash
# `npm run package`: builds build/ferry_<version>_<arch>.deb from this working tree with dpkg-deb,
# offline (no registry): ferry compiled with tsc, its N-API addon, and the run-time subset of the
# installed node_modules (native addons as built by `npm ci` on this machine, so for this
# architecture and Node major), trimmed of docs, tests, C sources and build intermediates.
# Env: FERRY_DEB_VERSION (default <package.json version>-1), FERRY_DEB_OUT (default build/),
# FERRY_DEB_RESTAMP=1: package the tree the previous run staged again under FERRY_DEB_VERSION (no
# recompiling or restaging; the rig's upgrade test uses it for its second, higher version).
set -euo pipefail
P=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$P/.." && pwd)
cd "$REPO"
say() { printf '[package] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

ARCH=$(dpkg --print-architecture)
UPSTREAM=$(node -p 'require("./package.json").version')
VERSION=${FERRY_DEB_VERSION:-$UPSTREAM-1}
OUT=${FERRY_DEB_OUT:-$REPO/build}
NODE_MAJOR=$(node -p 'process.versions.node.split(".")[0]')
case $ARCH in amd64) NARCH=x64 ;; arm64) NARCH=arm64 ;; armhf) NARCH=arm ;; *) die "no Node platform name for $ARCH" ;; esac
[ -d node_modules ] || die "node_modules missing: run npm ci first"
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}

W=$REPO/build/deb-work
R=$W/root
L=$R/usr/lib/ferry

stage() {
# 1. The addon first: node-gyp rebuild empties build/, where the work dir and the .deb live.
ADDON=build/Release/ferry_native.node
if [ ! -f "$ADDON" ] || [ -n "$(find native binding.gyp -newer "$ADDON" -type f)" ]; then
  say "building the native addon"
  npm run -s build:native >/dev/null
fi
mkdir -p "$W"
say "tsc"
node node_modules/typescript/bin/tsc -p tsconfig.json --outDir "$W/dist" --sourceMap false --incremental \
  --tsBuildInfoFile "$W/tsbuildinfo" > "$W/tsc.log" 2>&1 || { head -20 "$W/tsc.log" >&2; die "tsc failed"; }
# Incremental output keeps files of sources since deleted or renamed: drop them.
find "$W/dist" -name '*.js' | while read -r js; do
  rel=${js#"$W/dist"/}; [ -f "${rel%.js}.ts" ] || rm -f "$js"
done
# The daemon runs as one bundle over tsc's ferryd.js (scripts/bundle-ferryd.mjs says why).
say "bundle"
FERRY_BUNDLE_SOURCEMAP=0 node scripts/bundle-ferryd.mjs "$W/dist" || die "bundling ferryd failed"

# 2. The tree.
rm -rf "$R"
install -d "$L/build/Release" "$R/DEBIAN"
# The bundle's nameless package.json files ({"type":"module"}) go too: they end Node's walk up from each module.
(cd "$W/dist" && find . \( -name '*.js' -o -name package.json \) | cpio -pdm --quiet "$L/dist")
install -m644 "$ADDON" "$L/$ADDON"
node -e 'const p=require("./package.json");for(const k of ["devDependencies","scripts","allowScripts"])delete p[k];process.stdout.write(JSON.stringify(p,null,2)+"\n")' > "$L/package.json"
node "$P/runtime-modules.mjs" . > "$W/modules.txt"
while read -r m; do
  install -d "$L/$m"
  (cd "$m" && find . -path ./node_modules -prune -o -print | cpio -pdm --quiet "$L/$m")
done < "$W/modules.txt"
say "node_modules: $(wc -l < "$W/modules.txt") packages"

# Trim what never runs on a gateway. License files stay (the copyright file points to them).
(
  cd "$L/node_modules"
  find . -type d \( -name test -o -name tests -o -name __tests__ -o -name example -o -name examples \
    -o -name docs -o -name doc -o -name .github -o -name .husky -o -name .private -o -name benchmark -o -name benchmarks \
    -o -name coverage \) -prune -exec rm -rf {} +
  find . -type f \( -iname '*.md' -o -iname '*.markdown' -o -name '*.map' -o -name '*.ts' -o -name '*.mts' -o -name '*.cts' \
    -o -name '*.c' -o -name '*.cc' -o -name '*.cpp' -o -name '*.h' -o -name '*.hpp' -o -name '*.gyp' -o -name '*.gypi' \
    -o -name '*.o' -o -name '*.a' -o -name '*.mk' -o -name Makefile -o -name '.*' -o -name '*.tsbuildinfo' \
    -o -name '*.yml' -o -name '*.yaml' -o -name '*.flow' -o -name '*.html' -o -name '*.sh' -o -name '*.sln' \
    -o -name 'CHANGELOG*' -o -name 'HISTORY*' -o -name AUTHORS \) \
    ! -iname 'licen[cs]e*' -delete
  # Native build intermediates and sources; the built .node files stay.
  find . -type d -path '*/build/Release' | while read -r d; do
    rm -rf "$d"/obj "$d"/obj.target "$d"/.deps "$d"/test_extension.node "$(dirname "$d")"/config.gypi "$(dirname "$d")"/node_gyp_bins
  done
  # noble's own addon is its macOS binding (Linux goes through bluetooth-hci-socket); the nested usb 2.x
  # (bluetooth-hci-socket's USB dongle path) loads a prebuild, not its bundled libusb sources.
  rm -rf better-sqlite3/deps better-sqlite3/src @abandonware/bluetooth-hci-socket/src @abandonware/bluetooth-hci-socket/lib/binding \
    @abandonware/noble/src @abandonware/noble/build @serialport/bindings-cpp/src \
    @abandonware/bluetooth-hci-socket/node_modules/usb/libusb @abandonware/bluetooth-hci-socket/node_modules/usb/src
  # Prebuilt addons of other platforms (and musl) never load here.
  find . -type d -name prebuilds | while read -r d; do
    find "$d" -mindepth 1 -maxdepth 1 ! -name "linux-$NARCH" -exec rm -rf {} +
    find "$d" -name '*musl*' -delete
  done
  find . -depth -type d -empty -delete
)
find "$L" -name '*.node' -exec strip --strip-unneeded --remove-section=.comment --remove-section=.note {} +

# Launchers exec node so that node is the unit's main PID (NotifyAccess=main).
install -d "$R/usr/bin"
# ferryd's Node flags come from the agent's own list (src/cli/node-flags.ts).
FLAGS=$(node --input-type=module -e "import('$L/dist/src/cli/node-flags.js').then((m) => console.log(m.FERRYD_NODE_FLAGS.join(' ')))")
[ -n "$FLAGS" ] || die "no Node flags for ferryd"
printf '#!/bin/sh\nexec /usr/bin/node %s /usr/lib/ferry/dist/src/cli/ferryd.js "$@"\n' "$FLAGS" > "$R/usr/bin/ferryd"
printf '#!/bin/sh\nexec /usr/bin/node /usr/lib/ferry/dist/src/cli/ferryctl.js "$@"\n' > "$R/usr/bin/ferryctl"
install -D -m644 systemd/ferry.service "$R/usr/lib/systemd/system/ferry.service"
install -D -m644 systemd/ferry.sysusers "$R/usr/lib/sysusers.d/ferry.conf"
install -D -m644 systemd/ferry.tmpfiles "$R/usr/lib/tmpfiles.d/ferry.conf"
install -D -m644 systemd/ferry-ble.conf "$R/usr/share/ferry/ferry-ble.conf"
install -D -m644 "$P/ferry.json" "$R/etc/ferry/ferry.json"
install -D -m644 "$P/ferryctl.bash-completion" "$R/usr/share/bash-completion/completions/ferryctl"
install -D -m644 "$P/lintian-overrides" "$R/usr/share/lintian/overrides/ferry"
install -d "$R/usr/share/man/man1" "$R/usr/share/man/man8" "$R/usr/share/doc/ferry"
gzip -9n < "$P/ferryd.8" > "$R/usr/share/man/man8/ferryd.8.gz"
gzip -9n < "$P/ferryctl.1" > "$R/usr/share/man/man1/ferryctl.1.gz"
node "$P/copyright.mjs" "$L" "$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y)" < "$W/modules.txt" > "$R/usr/share/doc/ferry/copyright"
find "$R" -type d -exec chmod 755 {} +
find "$R" -type f -exec chmod 644 {} +
chmod 755 "$R/usr/bin/ferryd" "$R/usr/bin/ferryctl"
# Scripts (a #! line: package bins, ferry's CLI entry points) stay runnable, as npm installs them.
find "$L" -type f -name '*.js' -exec awk 'FNR == 1 && /^#!/ { print FILENAME } { nextfile }' {} + | xargs -r chmod 755

# 3. The staged agent must run: config check and every native addon loads (on this Node).
node "$L/dist/src/cli/ferryd.js" --check-config "$R/etc/ferry/ferry.json" >/dev/null || die "the production config does not validate"
node "$P/smoke.mjs" "$L" || die "a bundled module does not load from the staged tree"
}

mkdir -p "$OUT"
if [ "${FERRY_DEB_RESTAMP:-}" = 1 ] && [ -f "$L/package.json" ]; then say "packaging the staged tree again as $VERSION"
else stage; fi
# The changelog's top entry must name this version: a rebuild with another one gets its own entry.
{
  if ! head -1 "$P/changelog" | grep -qF "($VERSION)"; then
    printf 'ferry (%s) unstable; urgency=medium\n\n  * Rebuild as %s.\n\n -- ferry maintainers <ferry@example.org>  %s\n\n' \
      "$VERSION" "$VERSION" "$(date -u -R -d "@$SOURCE_DATE_EPOCH")"
  fi
  cat "$P/changelog"
} | gzip -9n > "$R/usr/share/doc/ferry/changelog.Debian.gz"
chmod 644 "$R/usr/share/doc/ferry/changelog.Debian.gz"

# 4. Metadata: shared-library deps of the addons from dpkg-shlibdeps (it wants a debian/control).
install -d "$W/shlibs/debian"
printf 'Source: ferry\n\nPackage: ferry\nArchitecture: any\n' > "$W/shlibs/debian/control"
mapfile -t NODES < <(find "$L" -name '*.node')
SHLIBS=$(cd "$W/shlibs" && dpkg-shlibdeps -O --warnings=0 "${NODES[@]}" | sed -n 's/^shlibs:Depends=//p')
# Node-API addons load into any Node; better-sqlite3 and bluetooth-hci-socket use V8's ABI,
# fixed per Node major, so the package is bound to the major it was built with.
DEPENDS="nodejs (>= 20.19), nodejs (<< $((NODE_MAJOR + 1))), $SHLIBS"
SIZE=$(du -sk --apparent-size "$R" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@SIZE@/$SIZE/" -e "s/@DEPENDS@/$DEPENDS/" \
  "$P/debian/control.in" > "$R/DEBIAN/control"
install -m644 "$P/debian/conffiles" "$R/DEBIAN/conffiles"
install -m755 "$P/debian/postinst" "$P/debian/prerm" "$P/debian/postrm" "$R/DEBIAN/"
(cd "$R" && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z \
  | xargs -0 md5sum) > "$R/DEBIAN/md5sums"
chmod 644 "$R/DEBIAN/md5sums"

DEB=$OUT/ferry_${VERSION}_${ARCH}.deb
dpkg-deb --root-owner-group -Zxz --build "$R" "$DEB" >/dev/null
say "$DEB: $(du -h "$DEB" | cut -f1) ($((SIZE / 1024)) MB installed)"
echo "$DEB"
