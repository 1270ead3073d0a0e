// Pulls one file from a device into the transfers root: bytes go to the job's own part file in the
// private part folder (transfer/part-file.ts), synced to disk at checkpoints (the offset it resumes
// from is what the part file holds), checked against the device's hash where it offers one, then
// renamed into the target's held folder. A part file whose start no longer matches the device's file
// is dropped, so two versions are never spliced.
import path from 'node:path';
import { FerryError } from '../errors.js';
import type { FdFile } from '../system/fd-file.js';
import { isFileMode, type HeldDir } from '../system/held-dir.js';
import { checkReplace, openFolder, openScope } from '../transfer/file-scope.js';
import { openPartsDir, PartFile, trustedPartSize } from '../transfer/part-file.js';
import type { SmpClient } from './smp/smp-client.js';
import { isSmpError } from './smp/smp-errors.js';
import { chooseHashType, deviceDigest, formatDigest, localDigest, type HashType } from './device-hash.js';

export interface PullOptions {
  client: SmpClient;
  remote: string;
  /** The transfers root and the target relative to it (already checked to be inside). */
  root: string;
  rel: string;
  /** The job's id: its part file's name. */
  id: string;
  hash: 'auto' | HashType | 'none';
  skipUnchanged: boolean;
  signal: AbortSignal;
  onProgress(bytes: number, total: number | null): void;
  /** Called with each offset that is synced to disk. */
  onCheckpoint(offset: number): void;
  /**
   * The last synced offset recorded and the boot it was written in: after a power cut the part may
   * hold a zero-filled tail past it, which a device without hashes could not catch (part-file.ts).
   */
  recorded?: { partBytes?: number; partBoot?: string };
  /** Sync the part file at least this often (default 32 KiB / 1 s, whichever first). */
  checkpointBytes?: number;
  checkpointMs?: number;
  now?: () => number;
}

export interface PullResult {
  length: number;
  /** false: the device's file equals the local one, nothing was transferred. */
  changed: boolean;
  /** "sha256:…" / "crc32:…" when verified with the device's hash, else null. */
  verifiedWith: string | null;
  /** Where this attempt started (0 = from scratch). */
  resumedFrom: number;
}

export async function pullFile(o: PullOptions): Promise<PullResult> {
  const scope = openScope(o.root, null);
  try {
    const folder = openFolder(scope, o.rel, 'create')!;
    try {
      checkReplace(scope, folder, o.rel);
      const parts = openPartsDir(scope.root);
      try {
        return await pullInto(o, new PartFile(parts, o.id), folder.dir, folder.name);
      } finally {
        parts.close();
      }
    } finally {
      folder.close();
    }
  } finally {
    scope.close();
  }
}

async function pullInto(o: PullOptions, part: PartFile, dir: HeldDir, name: string): Promise<PullResult> {
  const { client, remote, signal } = o;
  // Read back for the skip-unchanged digest only; the entry was checked not to be a symlink.
  const target = path.join(o.root, o.rel);
  const hashType = await chooseHashType(client, o.hash, signal);
  let total: number | undefined;
  try {
    total = (await client.fs.status(remote, { signal })).length;
  } catch (e) {
    if (!isSmpError(e) || e.rcName.endsWith('FILE_NOT_FOUND') || e.rcName.endsWith('ENOENT')) throw e;
  }

  const existing = dir.stat(name);
  if (o.skipUnchanged && hashType && existing && isFileMode(existing.mode)) {
    const [dev, local] = await Promise.all([deviceDigest(client, remote, hashType, signal), localDigest(target, hashType)]);
    if (dev !== null && dev === local) {
      part.remove();
      const length = existing.size;
      o.onProgress(length, length);
      return { length, changed: false, verifiedWith: formatDigest(hashType, dev), resumedFrom: length };
    }
  }

  let offset = part.size();
  if (o.recorded) offset = trustedPartSize(offset, o.recorded);
  if (total !== undefined && offset > total) offset = 0;
  if (offset > 0 && hashType) {
    // The device's file may have been rewritten since: resume only onto the same prefix.
    const dev = await deviceDigest(client, remote, hashType, signal, offset);
    if (dev !== null && dev !== (await localDigest(part.path, hashType, offset))) offset = 0;
  }
  const resumedFrom = offset;
  const fh = await part.open(offset === 0);
  try {
    if (offset > 0) await fh.truncate(offset);
    o.onProgress(offset, total ?? null);
    await download(o, fh, offset, total);
  } finally {
    await fh.close();
  }

  const length = part.size();
  let verifiedWith: string | null = null;
  if (hashType) {
    const [dev, local] = await Promise.all([deviceDigest(client, remote, hashType, signal), localDigest(part.path, hashType)]);
    if (dev !== null) {
      if (dev !== local) {
        part.remove();
        o.onCheckpoint(0);
        throw new FerryError('CHECKSUM_MISMATCH', `pulled ${remote} does not match the device's ${formatDigest(hashType, dev)} (got ${formatDigest(hashType, local)}); it starts over`);
      }
      verifiedWith = formatDigest(hashType, dev);
    }
  }
  await part.promote(dir, name, null);
  return { length, changed: true, verifiedWith, resumedFrom };
}

async function download(o: PullOptions, fh: FdFile, start: number, total: number | undefined): Promise<void> {
  const now = o.now ?? Date.now;
  const everyBytes = o.checkpointBytes ?? 32 * 1024;
  const everyMs = o.checkpointMs ?? 1000;
  let synced = start;
  let syncedAt = now();
  let written = start;
  const checkpoint = async () => {
    await fh.sync();
    synced = written;
    syncedAt = now();
    o.onCheckpoint(synced);
  };
  try {
    const r = await o.client.fs.download(o.remote, {
      offset: start,
      ...(total !== undefined ? { length: total } : {}),
      signal: o.signal,
      onChunk: async (off, bytes) => {
        // The part is opened O_APPEND and `off` is always its end (it was cut to `start` first).
        await fh.writev([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)]);
        written = off + bytes.length;
        o.onProgress(written, total ?? null);
        if (written - synced >= everyBytes || now() - syncedAt >= everyMs) await checkpoint();
      },
    });
    total = r.length;
  } finally {
    // Whatever arrived is kept: the next attempt resumes after it.
    if (written > synced) await checkpoint().catch(() => undefined);
  }
  o.onProgress(written, total);
}
