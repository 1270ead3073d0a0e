// Builds build/Release/ferry_native.node with node-gyp, offline: it uses the Node headers already
// installed next to this node (or npm's `nodedir`) so node-gyp never tries to download them.
// Run as `npm run build:native`; any argument is passed to node-gyp (e.g. `--debug`).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function hasHeaders(dir) {
  return Boolean(dir) && existsSync(join(dir, 'include', 'node', 'node_api.h')) &&
    existsSync(join(dir, 'include', 'node', 'common.gypi'));
}

// npm exports its `nodedir` setting to scripts; otherwise distro and official builds keep the headers
// at <prefix>/include/node, with node at <prefix>/bin/node.
function findNodedir() {
  const fromNpm = process.env.npm_config_nodedir;
  if (hasHeaders(fromNpm)) return fromNpm;
  const prefix = resolve(dirname(process.execPath), '..');
  if (hasHeaders(prefix)) return prefix;
  return undefined;
}

// npm tells scripts where its bundled node-gyp is; fall back to one installed in node_modules, then
// to the copy inside the npm that ships with this node.
function findNodeGyp() {
  const candidates = [process.env.npm_config_node_gyp];
  try {
    candidates.push(createRequire(join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed locally: try npm's own
  }
  candidates.push(resolve(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return candidates.find((c) => Boolean(c) && existsSync(c));
}

const gyp = findNodeGyp();
if (!gyp) {
  console.error('build:native: node-gyp not found (neither npm_config_node_gyp, node_modules, nor npm\'s bundled copy)');
  process.exit(1);
}
const nodedir = findNodedir();
const args = [gyp, 'rebuild', ...(nodedir ? [`--nodedir=${nodedir}`] : []), ...process.argv.slice(2)];
if (!nodedir) console.warn('build:native: no local Node headers found; node-gyp will try to download them');
// node-gyp prefers npm_config_nodedir over --nodedir, so an empty or stale one must not leak through.
const env = nodedir ? { ...process.env, npm_config_nodedir: nodedir } : process.env;
const run = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env });
process.exit(run.status ?? 1);
