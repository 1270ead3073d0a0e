// Bundles the daemon (src/cli/ferryd.ts and everything it imports, TypeBox and cbor2 included) over
// tsc's dist/src/cli/ferryd.js, so every way of starting ferryd (bin, .deb wrapper, tests, benches)
// runs the bundle. Why: Node's ESM loader pays per module (~350 files: TypeBox alone is 248), and an
// idle ferryd held ~11 MiB more RSS loading them one by one than loading one file (BENCHMARKS.md).
// Lazy parts (live conditions, devices, fleet, the transfer engine) become chunks loaded on first use;
// native addons and the packages they pull in stay in node_modules.
// Usage: node scripts/bundle-ferryd.mjs [DIST] (default dist; the .deb build passes its work dir).
import { build } from 'esbuild';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const dist = resolve(process.argv[2] ?? 'dist');
const outdir = join(dist, 'src', 'cli');
rmSync(join(outdir, 'bundle'), { recursive: true, force: true });
await build({
  entryPoints: { ferryd: 'src/cli/ferryd.ts' },
  outdir,
  chunkNames: 'bundle/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: process.env.FERRY_BUNDLE_SOURCEMAP === '0' ? false : 'linked',
  logLevel: 'warning',
  // Code is escaped to ASCII (esbuild's default, stated): see the comment pass below.
  charset: 'ascii',
  // CommonJS packages in the bundle (pino, better-sqlite3's JavaScript) require Node's modules through this,
  // made on a chunk's first require only: each one made costs the path work the notes below count. Plain calls
  // only, no require.resolve: pino's transports (worker threads) would need it, and ferry configures none.
  banner: {
    js: "import { createRequire as __ferryCreateRequire } from 'node:module'; let __ferryRequire; const require = (id) => (__ferryRequire ??= __ferryCreateRequire(import.meta.url))(id);",
  },
  // Native addons and what finds them (better-sqlite3's addon is named by queue/open-db.ts), and large
  // packages loaded only when used (D-Bus, MQTT, devices). pino and better-sqlite3's JavaScript are
  // bundled: loading their ~40 files one by one from node_modules (Node's CommonJS path search) was enough
  // for V8 to optimise its first function at start-up, which maps ~3.5 MiB of the optimising compiler's
  // code into an idle agent (BENCHMARKS.md, "Idle RSS").
  external: [
    'bindings',
    'dbus-next',
    'mqtt',
    'usb',
    'serialport',
    '@serialport/*',
    '@abandonware/*',
  ],
});

// Node finds a module's type ("module") in the nearest package.json, walking up from each module it loads and
// converting a URL to a path at every step; one beside the modules ends the walk there. With the lazy require
// above and pino and better-sqlite3 bundled, that path work at start-up fell from 171 conversions to 64, under
// what makes V8 optimise its first function (BENCHMARKS.md, "Idle RSS"). These files have no name:
// system/package-root.ts looks past them for the package's own.
for (const dir of [outdir, join(outdir, 'bundle')]) writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');

// V8 keeps a script's source in memory, one byte per character, or two for the whole file once it holds a
// single non-Latin-1 character. esbuild escapes code to ASCII but keeps comments in class bodies and object
// literals as written, and one dash there doubled the main bundle's 127 KB in an idle agent. What is left
// outside ASCII is comment text: each UTF-16 unit becomes '?' (so source map columns still hold).
for (const file of [join(outdir, 'ferryd.js'), ...readdirSync(join(outdir, 'bundle')).filter((f) => f.endsWith('.js')).map((f) => join(outdir, 'bundle', f))]) {
  const text = readFileSync(file, 'utf8');
  if (/[^\x00-\x7f]/.test(text)) writeFileSync(file, text.replace(/[^\x00-\x7f]/g, '?'));
}
