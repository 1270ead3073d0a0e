import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { makeTempDir } from '../support/tmp.js';
import { readStorage, readStorageSync, storageFromStatfs } from '../../src/conditions/storage.js';

const MiB = 1024 * 1024;

describe('storage', () => {
  const limits = { lowPercent: 5, lowBytes: 200 * MiB };

  it('is low under lowBytes or under lowPercent, counting only blocks available to non-root', () => {
    expect(storageFromStatfs({ bsize: 4096, bavail: (300 * MiB) / 4096, blocks: (1000 * MiB) / 4096 }, limits)).toEqual({ freeBytes: 300 * MiB, low: false });
    expect(storageFromStatfs({ bsize: 4096, bavail: (199 * MiB) / 4096, blocks: (1000 * MiB) / 4096 }, limits).low).toBe(true);
    // 10 GiB free of 400 GiB is 2.5 %: low although far above 200 MiB.
    expect(storageFromStatfs({ bsize: 1024, bavail: 10 * 1024 * 1024, blocks: 400 * 1024 * 1024 }, limits).low).toBe(true);
  });

  let tmp: ReturnType<typeof makeTempDir>;
  afterEach(() => tmp?.cleanup());

  it('measures the transfers root, or its nearest existing parent when the root is not there yet', async () => {
    tmp = makeTempDir();
    const real = await readStorage(tmp.path, { lowPercent: 0, lowBytes: 0 });
    expect(real?.freeBytes).toBeGreaterThan(0);
    expect(real?.low).toBe(false);
    const missing = await readStorage(join(tmp.path, 'not', 'yet'), { lowPercent: 0, lowBytes: 0 });
    expect(missing?.freeBytes).toBeGreaterThan(0);
    expect(readStorageSync(join(tmp.path, 'nope'), { lowPercent: 0, lowBytes: Number.MAX_SAFE_INTEGER })?.low).toBe(true);
  });
});
