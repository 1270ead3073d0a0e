// Verifying device files against the device's own hash (fs group "hash/checksum"): which type a device
// offers (sha256 preferred, crc32 as fallback), the same digest computed over a local file, and comparison.
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { SmpClient } from './smp/smp-client.js';
import { isSmpError } from './smp/smp-errors.js';

export type HashType = 'sha256' | 'crc32';
export type Digest = string | number;

/** The hash type to verify with, or null when the device offers none (or the config says none). */
export async function chooseHashType(client: SmpClient, want: 'auto' | HashType | 'none', signal?: AbortSignal): Promise<HashType | null> {
  if (want === 'none') return null;
  if (want !== 'auto') return want;
  try {
    const types = await client.fs.supportedHashes({ signal });
    if (types.sha256) return 'sha256';
    if (types.crc32) return 'crc32';
    return null;
  } catch (e) {
    if (!isSmpError(e)) throw e;
    // Older fs_mgmt lacks the "supported hashes" command but may still hash: crc32 is the Zephyr default.
    return 'crc32';
  }
}

/** The device's digest of `remote` (optionally of its first `length` bytes); null if it cannot hash. */
export async function deviceDigest(client: SmpClient, remote: string, type: HashType, signal?: AbortSignal, length?: number): Promise<Digest | null> {
  try {
    const r = await client.fs.hash(remote, type, { signal, ...(length !== undefined ? { length } : {}) });
    return typeof r.output === 'number' ? r.output >>> 0 : Buffer.from(r.output).toString('hex');
  } catch (e) {
    if (isSmpError(e)) return null;
    throw e;
  }
}

/** The same digest over a local file (or its first `length` bytes). */
export async function localDigest(file: string, type: HashType, length?: number): Promise<Digest> {
  const h = type === 'sha256' ? createHash('sha256') : null;
  let crc = 0;
  if (length !== 0) {
    const stream = createReadStream(file, length === undefined ? {} : { start: 0, end: length - 1 });
    for await (const chunk of stream) {
      if (h) h.update(chunk as Buffer);
      else crc = crc32(chunk as Buffer, crc);
    }
  }
  return h ? h.digest('hex') : crc >>> 0;
}

export function formatDigest(type: HashType, d: Digest): string {
  return typeof d === 'number' ? `${type}:${d.toString(16).padStart(8, '0')}` : `${type}:${d}`;
}
