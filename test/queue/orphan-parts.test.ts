// sweepOrphanParts: removes part files no unfinished transfer owns, in today's beside-the-target layout
// and in a per-id folder layout, never following a symlinked folder and never deleting a client's file.
import { chownSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { besideTargetLayout, sweepOrphanParts } from '../../src/queue/orphan-parts.js';
import { makeTempDir } from '../support/tmp.js';

describe('sweepOrphanParts', () => {
  let dir: ReturnType<typeof makeTempDir>;
  let outside: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    dir = makeTempDir();
    outside = makeTempDir();
  });
  afterEach(() => {
    dir.cleanup();
    outside.cleanup();
  });
  const put = (p: string) => {
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, 'x');
    return p;
  };

  it('beside the target: keeps owned parts and other files, removes the rest, does not follow symlinked folders', async () => {
    const kept = put(join(dir.path, 'a/.one.bin.ferry-part'));
    const orphan = put(join(dir.path, 'a/b/.two.bin.ferry-part'));
    const plain = put(join(dir.path, 'a/.hidden-but-not-a-part'));
    const far = put(join(outside.path, '.three.bin.ferry-part'));
    symlinkSync(outside.path, join(dir.path, 'link'));
    const r = await sweepOrphanParts(new Set([kept]), besideTargetLayout(dir.path));
    expect(r.removed).toEqual([orphan]);
    expect([existsSync(kept), existsSync(orphan), existsSync(plain), existsSync(far)]).toEqual([true, false, true, true]);
  });

  it('a per-id folder: parts are known by transfer id', async () => {
    const parts = join(dir.path, '.parts');
    put(join(parts, 'id-1'));
    put(join(parts, 'id-2'));
    const r = await sweepOrphanParts(new Set(['id-1']), { dir: parts, recursive: false, keyOf: (_abs, name) => name });
    expect(r.removed).toEqual([join(parts, 'id-2')]);
    expect(existsSync(join(parts, 'id-1'))).toBe(true);
  });

  it.skipIf(process.getuid?.() !== 0)('leaves a part file another user planted', async () => {
    const planted = put(join(dir.path, '.victim.ferry-part'));
    chownSync(planted, 12345, 12345);
    const r = await sweepOrphanParts(new Set(), besideTargetLayout(dir.path, process.geteuid!()));
    expect(r.removed).toEqual([]);
    expect(existsSync(planted)).toBe(true);
  });

  it('a missing folder is no error', async () => {
    expect(await sweepOrphanParts(new Set(), besideTargetLayout(join(dir.path, 'nope')))).toEqual({ removed: [], failed: [] });
  });
});
