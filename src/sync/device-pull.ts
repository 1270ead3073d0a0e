// Pulls one file from a device into the transfers root: bytes go to a part file beside the target,
// synced to disk at checkpoints (the offset it resumes from is what the part file holds), checked
// against the device's hash where it offers one, then renamed into place. A part file whose start no
// longer matches the device's file is dropped, so two versions are never spliced.
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { FerryError } from '../errors.js';
import { partPath } from '../transfer/request-checks.js';
import type { SmpClient } from './smp/smp-client.js';
import { isSmpError } from './smp/smp-errors.js';
import { chooseHashType, deviceDigest, formatDigest, localDigest, type HashType } from './device-hash.js';

export interface PullOptions {
  client: SmpClient;
  remote: string;
  /** Absolute target path (already checked to be inside the transfers root). */
  target: string;
  hash: 'auto' | HashType | 'none';
  skipUnchanged: boolean;
  signal: AbortSignal;
  onProgress(bytes: number, total: number | null): void;
  /** Called with each offset that is synced to disk. */
  onCheckpoint(offset: number): void;
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
  const { client, remote, target, signal } = o;
  const part = partPath(target);
  await mkdir(path.dirname(target), { recursive: true });
  const hashType = await chooseHashType(client, o.hash, signal);
  let total: number | undefined;
  try {
    total = (await client.fs.status(remote, { signal })).length;
  } catch (e) {
    if (!isSmpError(e) || e.rcName.endsWith('FILE_NOT_FOUND') || e.rcName.endsWith('ENOENT')) throw e;
  }

  if (o.skipUnchanged && hashType && (await exists(target))) {
    const [dev, local] = await Promise.all([deviceDigest(client, remote, hashType, signal), localDigest(target, hashType)]);
    if (dev !== null && dev === local) {
      await rm(part, { force: true });
      const length = (await stat(target)).size;
      o.onProgress(length, length);
      return { length, changed: false, verifiedWith: formatDigest(hashType, dev), resumedFrom: length };
    }
  }

  let offset = await sizeOf(part);
  if (total !== undefined && offset > total) offset = 0;
  if (offset > 0 && hashType) {
    // The device's file may have been rewritten since: resume only onto the same prefix.
    const dev = await deviceDigest(client, remote, hashType, signal, offset);
    if (dev !== null && dev !== (await localDigest(part, hashType, offset))) offset = 0;
  }
  const resumedFrom = offset;
  const fh = await open(part, offset === 0 ? 'w' : 'r+');
  try {
    if (offset > 0) await fh.truncate(offset);
    o.onProgress(offset, total ?? null);
    await download(o, fh, offset, total);
  } finally {
    await fh.close();
  }

  const length = await sizeOf(part);
  let verifiedWith: string | null = null;
  if (hashType) {
    const [dev, local] = await Promise.all([deviceDigest(client, remote, hashType, signal), localDigest(part, hashType)]);
    if (dev !== null) {
      if (dev !== local) {
        await rm(part, { force: true });
        o.onCheckpoint(0);
        throw new FerryError('CHECKSUM_MISMATCH', `pulled ${remote} does not match the device's ${formatDigest(hashType, dev)} (got ${formatDigest(hashType, local)}); it starts over`);
      }
      verifiedWith = formatDigest(hashType, dev);
    }
  }
  await rename(part, target);
  await syncDir(path.dirname(target));
  return { length, changed: true, verifiedWith, resumedFrom };
}

async function download(o: PullOptions, fh: FileHandle, start: number, total: number | undefined): Promise<void> {
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
        await fh.write(bytes, 0, bytes.length, off);
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

async function sizeOf(file: string): Promise<number> {
  return stat(file).then((s) => s.size, () => 0);
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then((s) => s.isFile(), () => false);
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r').catch(() => null);
  if (!fh) return;
  await fh.sync().catch(() => undefined);
  await fh.close();
}
