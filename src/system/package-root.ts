// The package's root folder: the first one holding a package.json with a name, walking up from a module's
// folder. Ferry's code runs from src/ (tsx, vitest), dist/src/ (tsc) and dist/src/cli/ (the daemon's bundle),
// so nothing that needs a file beside package.json can count levels. The bundle's folders hold nameless
// package.json files ({"type":"module"}, scripts/bundle-ferryd.mjs): they are not the package.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

function named(file: string): boolean {
  try {
    const pkg: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return typeof pkg === 'object' && pkg !== null && typeof (pkg as { name?: unknown }).name === 'string';
  } catch {
    return false;
  }
}

/** The nearest folder at or above `from` with a named package.json; null when there is none. */
export function packageRoot(from: string): string | null {
  for (let dir = from; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && named(file)) return dir;
    if (dirname(dir) === dir) return null;
  }
}
