// Start-up sweep of partial files no unfinished transfer owns (a cancel whose delete a kill cut short,
// a crash between "cancelled" being saved and the file being removed). The layout is a parameter: today
// parts sit beside their targets (`.NAME.ferry-part`); a private per-id folder only changes `keyOf`.
import type { Dirent } from 'node:fs';
import { lstat, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export interface PartLayout {
  /** Folder to look in. */
  dir: string;
  /** Walk sub-folders too (symlinked folders are never followed). */
  recursive: boolean;
  /** The key a part file is known by (its path, or the transfer id), or null if the file is no part file. */
  keyOf(absPath: string, name: string): string | null;
  /** Only files of this owner are removed (a file a client planted is not ours to delete). */
  ownerUid?: number;
}

export interface SweepResult {
  removed: string[];
  failed: Array<{ path: string; error: string }>;
}

/** Removes every part file whose key is not in `keep`. Errors are collected, never thrown. */
export async function sweepOrphanParts(keep: ReadonlySet<string>, layout: PartLayout): Promise<SweepResult> {
  const out: SweepResult = { removed: [], failed: [] };
  const walk = async (dir: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return; // a folder that vanished or is not ours to read
    }
    for (const e of entries) {
      const abs = join(dir, e.name);
      if (e.isDirectory()) {
        if (layout.recursive) await walk(abs);
        continue;
      }
      const key = layout.keyOf(abs, e.name);
      if (key === null || keep.has(key)) continue;
      try {
        const st = await lstat(abs);
        if (!st.isFile() && !st.isSymbolicLink()) continue;
        if (layout.ownerUid !== undefined && st.uid !== layout.ownerUid) continue;
        await unlink(abs); // unlink never follows a symlink
        out.removed.push(abs);
      } catch (err) {
        out.failed.push({ path: abs, error: (err as Error).message });
      }
    }
  };
  await walk(layout.dir);
  return out;
}

/** Today's layout: `.NAME.ferry-part` beside the target, known by its absolute path. */
export function besideTargetLayout(transfersRoot: string, ownerUid?: number): PartLayout {
  return {
    dir: transfersRoot,
    recursive: true,
    keyOf: (abs, name) => (name.startsWith('.') && name.endsWith('.ferry-part') ? abs : null),
    ...(ownerUid === undefined ? {} : { ownerUid }),
  };
}
