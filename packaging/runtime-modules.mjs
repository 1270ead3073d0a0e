// Prints the node_modules package folders ferry needs at run time, one path a line (e.g.
// `node_modules/pino`, `node_modules/a/node_modules/b`): the closure of package.json's dependencies
// (optional ones only when installed), resolved the way Node does (nearest node_modules upwards).
// Packages that only build native addons at install time are cut with their own subtree, unless
// something that runs reaches them too. Reads package-lock.json and the installed tree, no registry.
// Usage: node runtime-modules.mjs [ROOT]
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// Install-time only: node-gyp and the prebuild downloaders, and header-only C/C++ packages. Type
// definitions (@types/*) never load at run time either.
export const BUILD_ONLY = new Set([
  'node-gyp',
  '@mapbox/node-pre-gyp',
  'prebuild-install',
  'nan',
  'node-addon-api',
  'napi-thread-safe-callback',
]);

export function runtimeModules(root) {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  const pkgs = lock.packages ?? {};
  const keep = new Set();
  // Node's lookup: FROM/node_modules/NAME, then each ancestor's node_modules, up to the root.
  const resolve = (from, name) => {
    let dir = from;
    for (;;) {
      const cand = (dir ? `${dir}/` : '') + `node_modules/${name}`;
      if (pkgs[cand] && existsSync(join(root, cand))) return cand;
      if (!dir) return null;
      const i = dir.lastIndexOf('/node_modules/');
      dir = i < 0 ? '' : dir.slice(0, i);
    }
  };
  const visit = (from, deps, optional) => {
    for (const name of Object.keys(deps ?? {})) {
      if (BUILD_ONLY.has(name) || name.startsWith('@types/')) continue;
      const path = resolve(from, name);
      if (path === null) {
        if (optional) continue;
        throw new Error(`runtime-modules: ${name} (needed by ${from || 'ferry'}) is not installed; run npm ci`);
      }
      if (keep.has(path)) continue;
      keep.add(path);
      const entry = pkgs[path];
      visit(path, entry.dependencies, false);
      visit(path, entry.optionalDependencies, true);
    }
  };
  const top = pkgs[''] ?? {};
  visit('', top.dependencies, false);
  visit('', top.optionalDependencies, true);
  return [...keep].sort();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const p of runtimeModules(process.argv[2] ?? '.')) console.log(p);
}
