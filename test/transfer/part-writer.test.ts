import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { createPartWriter } from '../../src/transfer/part-writer.js';
import { makeTempDir } from '../support/tmp.js';

const dir = makeTempDir('ferry-part-writer-');
afterAll(() => dir.cleanup());
let n = 0;

/** Feeds `chunks` the way pumpBody does: stops at false, continues on onReady. */
async function feed(file: string, chunks: Buffer[], ringBytes: number, truncate = true): Promise<{ pauses: number; written: number[] }> {
  const w = createPartWriter(file, truncate, ringBytes);
  const written: number[] = [];
  w.onWritten = (x) => written.push(x);
  let pauses = 0;
  let i = 0;
  let wake: (() => void) | null = null;
  w.onReady = () => wake?.();
  w.release();
  while (i < chunks.length) {
    if (!w.write(chunks[i++]!)) {
      pauses++;
      await new Promise<void>((r) => (wake = r));
      wake = null;
    }
  }
  await w.close(true);
  return { pauses, written };
}

describe('part writer', () => {
  it('writes every chunk in order through a ring that wraps many times, pausing the source when full', async () => {
    const chunks = Array.from({ length: 200 }, (_, k) => randomBytes(1000 + ((k * 7919) % 60_000)));
    const file = join(dir.path, `f${n++}`);
    const { pauses, written } = await feed(file, chunks, 64 * 1024);
    expect(readFileSync(file).equals(Buffer.concat(chunks))).toBe(true);
    expect(pauses).toBeGreaterThan(0);
    // Progress is reported per completed write, rising to the whole body.
    expect(written.at(-1)).toBe(Buffer.concat(chunks).length);
    expect([...written].sort((a, b) => a - b)).toEqual(written);
  });

  it('takes a chunk larger than the whole ring', async () => {
    const big = randomBytes(300_000);
    const file = join(dir.path, `f${n++}`);
    await feed(file, [randomBytes(10), big, randomBytes(5)], 64 * 1024);
    expect(readFileSync(file).subarray(10, 300_010).equals(big)).toBe(true);
    expect(readFileSync(file).length).toBe(300_015);
  });

  it('appends to an existing part file when not truncating', async () => {
    const file = join(dir.path, `f${n++}`);
    writeFileSync(file, 'prefix-');
    await feed(file, [Buffer.from('rest')], 64 * 1024, false);
    expect(readFileSync(file, 'utf8')).toBe('prefix-rest');
  });

  it('holds chunks until released, then writes them; any chunking gives the same file', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 40_000 }), { minLength: 1, maxLength: 40 }), async (sizes) => {
        const chunks = sizes.map((s) => randomBytes(s));
        const file = join(dir.path, `f${n++}`);
        const w = createPartWriter(file, true, 32 * 1024);
        let wake: (() => void) | null = null;
        w.onReady = () => wake?.();
        // Written before release(): only held (the source pauses once the ring is full).
        let i = 0;
        let blocked = false;
        while (i < chunks.length && !blocked) blocked = !w.write(chunks[i++]!);
        await w.opened;
        expect(readFileSync(file).length).toBe(0);
        const resumed = blocked ? new Promise<void>((r) => (wake = r)) : null;
        w.release();
        await resumed;
        while (i < chunks.length) {
          if (!w.write(chunks[i++]!)) await new Promise<void>((r) => (wake = r));
        }
        await w.close(false);
        expect(readFileSync(file).equals(Buffer.concat(chunks))).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it('reports a failed open through error and onReady, and close rejects', async () => {
    const w = createPartWriter(join(dir.path, 'no/such/dir/f'), true);
    const ready = new Promise<void>((r) => (w.onReady = r));
    w.write(Buffer.from('x'));
    await ready;
    expect((w.error as NodeJS.ErrnoException).code).toBe('ENOENT');
    await expect(w.close(true)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
