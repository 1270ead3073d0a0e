// Free space of the transfers root (statvfs): low under lowPercent of the filesystem or under lowBytes.
// A root that does not exist yet is measured on its nearest existing parent (the same filesystem, most likely).
import { statfsSync, type StatsFs } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { StorageConditions } from './snapshot.js';

export interface StorageLimits {
  lowPercent: number;
  lowBytes: number;
}

export function storageFromStatfs(s: Pick<StatsFs, 'bsize' | 'bavail' | 'blocks'>, limits: StorageLimits): StorageConditions {
  // bavail, not bfree: the blocks reserved for root are not ours to fill.
  const free = Number(s.bavail) * Number(s.bsize);
  const total = Number(s.blocks) * Number(s.bsize);
  const pct = total > 0 ? (free / total) * 100 : 100;
  return { freeBytes: free, low: free < limits.lowBytes || pct < limits.lowPercent };
}

function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Null when no ancestor of the root can be measured. */
export async function readStorage(root: string, limits: StorageLimits): Promise<StorageConditions | null> {
  for (let p = root; ; p = dirname(p)) {
    try {
      return storageFromStatfs(await statfs(p), limits);
    } catch (e) {
      if (!isMissing(e) || dirname(p) === p) return null;
    }
  }
}

export function readStorageSync(root: string, limits: StorageLimits): StorageConditions | null {
  for (let p = root; ; p = dirname(p)) {
    try {
      return storageFromStatfs(statfsSync(p), limits);
    } catch (e) {
      if (!isMissing(e) || dirname(p) === p) return null;
    }
  }
}
