// The package's root folder: the first one holding a package.json, walking up from a module's folder.
// Ferry's code runs from src/ (tsx, vitest), dist/src/ (tsc) and dist/src/cli/ (the daemon's bundle),
// so nothing that needs a file beside package.json can count levels.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The nearest folder at or above `from` with a package.json; null when there is none. */
export function packageRoot(from: string): string | null {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return null;
  }
}
