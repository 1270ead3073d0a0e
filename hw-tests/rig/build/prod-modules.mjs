// Prints the top-level node_modules folders a production install holds (package-lock entries not
// marked dev), i.e. what `npm ci --omit=dev` would leave, without touching the registry.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = process.argv[2] ?? '.';
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
const keep = new Set();
for (const [path, entry] of Object.entries(lock.packages ?? {})) {
  if (!path.startsWith('node_modules/') || entry.dev) continue;
  // Nested entries travel with their top-level parent folder.
  const parts = path.slice('node_modules/'.length).split('/');
  const top = parts[0].startsWith('@') ? `node_modules/${parts[0]}/${parts[1]}` : `node_modules/${parts[0]}`;
  if (existsSync(join(root, top))) keep.add(top);
}
for (const p of [...keep].sort()) console.log(p);
