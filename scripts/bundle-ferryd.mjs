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
  // Packages with native code, large ones loaded only when used (D-Bus, MQTT, uploads, devices), and
  // pino (CommonJS: bundling it saved nothing measurable and would need a require() shim).
  external: [
    'better-sqlite3',
    'pino',
    'dbus-next',
    'mqtt',
    'undici',
    'usb',
    'serialport',
    '@serialport/*',
    '@abandonware/*',
  ],
});

// V8 keeps a script's source in memory, one byte per character, or two for the whole file once it holds a
// single non-Latin-1 character. esbuild escapes code to ASCII but keeps comments in class bodies and object
// literals as written, and one dash there doubled the main bundle's 127 KB in an idle agent. What is left
// outside ASCII is comment text: each UTF-16 unit becomes '?' (so source map columns still hold).
for (const file of [join(outdir, 'ferryd.js'), ...readdirSync(join(outdir, 'bundle')).filter((f) => f.endsWith('.js')).map((f) => join(outdir, 'bundle', f))]) {
  const text = readFileSync(file, 'utf8');
  if (/[^\x00-\x7f]/.test(text)) writeFileSync(file, text.replace(/[^\x00-\x7f]/g, '?'));
}
