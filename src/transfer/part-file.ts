// File-system steps of a download: the part file's size (the resume offset), hashing what is already
// on disk, and the durable finish (fsync file, rename over the target, fsync the folder).
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm, stat, truncate } from 'node:fs/promises';
import path from 'node:path';
import { partPath, resolveInsideRoot } from './request-checks.js';

/** Removes the part file of a download to `rel` (a cancelled job's partial data); no error when absent. */
export async function removePartFile(root: string, rel: string): Promise<void> {
  const { abs } = await resolveInsideRoot(root, rel);
  await rm(partPath(abs), { force: true });
}

/** Size of a file, 0 when it does not exist. */
export async function sizeOrZero(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
}

export async function truncateTo(file: string, size: number): Promise<void> {
  try {
    await truncate(file, size);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/** A sha256 fed with the first `length` bytes of `file` (the part kept from earlier attempts). */
export async function hashPrefix(file: string, length: number): Promise<Hash> {
  const h = createHash('sha256');
  if (length === 0) return h;
  for await (const chunk of createReadStream(file, { start: 0, end: length - 1, highWaterMark: 1024 * 1024 })) {
    h.update(chunk as Buffer);
  }
  return h;
}

/** Hex sha256 of a whole file, streamed. */
export async function hashFile(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Makes a finished part file the target: after this returns, a crash leaves either nothing or the whole file. */
export async function promotePart(part: string, target: string): Promise<void> {
  await rename(part, target);
  // The rename itself lives in the folder's metadata; without this a power cut can undo it.
  const dir = await open(path.dirname(target), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
