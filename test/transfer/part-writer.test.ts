// The download ring writer on a real file opened as part-file.ts opens it (an FdFile, O_APPEND): order
// and completeness of the bytes under any chunking, back-pressure, and the durability rule — an offset
// is reported durable only after an fsync that began once those bytes were written.
import { afterAll, describe, expect, it } from 'vitest';
import { constants, fstatSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { FdFile } from '../../src/system/fd-file.js';
import { createPartWriter, type PartHandle, type PartWriterOptions } from '../../src/transfer/part-writer.js';
import { makeTempDir } from '../support/tmp.js';

const dir = makeTempDir('ferry-part-writer-');
afterAll(() => dir.cleanup());
let n = 0;
const { O_WRONLY, O_CREAT, O_APPEND, O_TRUNC } = constants;

const openPart = (file: string, truncate: boolean) => async (): Promise<FdFile> =>
  new FdFile(openSync(file, O_WRONLY | O_CREAT | O_APPEND | (truncate ? O_TRUNC : 0), 0o600));

/** Feeds `chunks` the way pumpBody does: stops at false, continues on onReady. */
async function feed(chunks: Buffer[], o: PartWriterOptions, durable = true): Promise<{ pauses: number; written: number[] }> {
  const w = createPartWriter(o);
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
    // Let writes complete between some chunks, as a socket does.
    if (i % 7 === 0) await new Promise((r) => setImmediate(r));
  }
  await w.close(durable);
  return { pauses, written };
}

describe('part writer', () => {
  it('writes every chunk in order through a ring that wraps many times, pausing the source when full', async () => {
    const chunks = Array.from({ length: 200 }, (_, k) => randomBytes(1000 + ((k * 7919) % 60_000)));
    const file = join(dir.path, `f${n++}`);
    const { pauses, written } = await feed(chunks, { open: openPart(file, true), startOffset: 0, ringBytes: 64 * 1024 });
    expect(readFileSync(file).equals(Buffer.concat(chunks))).toBe(true);
    expect(pauses).toBeGreaterThan(0);
    // Progress is reported per completed write, rising to the whole body.
    expect(written.at(-1)).toBe(Buffer.concat(chunks).length);
    expect([...written].sort((a, b) => a - b)).toEqual(written);
  });

  it('takes a chunk larger than the whole ring', async () => {
    const big = randomBytes(300_000);
    const file = join(dir.path, `f${n++}`);
    await feed([randomBytes(10), big, randomBytes(5)], { open: openPart(file, true), startOffset: 0, ringBytes: 64 * 1024 });
    expect(readFileSync(file).subarray(10, 300_010).equals(big)).toBe(true);
    expect(readFileSync(file).length).toBe(300_015);
  });

  it('appends to the part kept from an earlier attempt and reports durable sizes from 0 of the file', async () => {
    const file = join(dir.path, `f${n++}`);
    writeFileSync(file, 'prefix-');
    const durable: number[] = [];
    await feed([Buffer.from('rest')], { open: openPart(file, false), startOffset: 7, onDurable: (x) => durable.push(x) });
    expect(readFileSync(file, 'utf8')).toBe('prefix-rest');
    expect(durable).toEqual([11]);
  });

  it('holds chunks until released, then writes them; any chunking gives the same file', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 40_000 }), { minLength: 1, maxLength: 40 }), async (sizes) => {
        const chunks = sizes.map((s) => randomBytes(s));
        const file = join(dir.path, `f${n++}`);
        const w = createPartWriter({ open: openPart(file, true), startOffset: 0, ringBytes: 32 * 1024 });
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
    const w = createPartWriter({ open: openPart(join(dir.path, 'no/such/dir/f'), true), startOffset: 0 });
    const ready = new Promise<void>((r) => (w.onReady = r));
    w.write(Buffer.from('x'));
    await ready;
    expect((w.error as NodeJS.ErrnoException).code).toBe('ENOENT');
    await expect(w.close(true)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('part writer checkpoints', () => {
  /** The real file, with the size on disk noted when each fsync begins and ends. */
  function observed(file: string, clock: () => number = () => 0): { open: () => Promise<PartHandle>; syncs: Array<{ startSize: number; at: number; done: boolean }> } {
    const syncs: Array<{ startSize: number; at: number; done: boolean }> = [];
    return {
      syncs,
      open: async () => {
        const f = await openPart(file, true)();
        return {
          writev: (b) => f.writev(b),
          close: () => f.close(),
          sync: async () => {
            const s = { startSize: fstatSync(f.fd).size, at: clock(), done: false };
            syncs.push(s);
            await f.sync();
            s.done = true;
          },
        };
      },
    };
  }

  it('reports an offset only after an fsync that began with those bytes on disk; at most one per checkpoint interval', async () => {
    const file = join(dir.path, `f${n++}`);
    let clock = 0;
    const o = observed(file, () => clock);
    const durable: Array<{ at: number; syncsDone: number }> = [];
    const chunks = Array.from({ length: 120 }, () => randomBytes(16 * 1024));
    const w = createPartWriter({
      open: o.open,
      startOffset: 0,
      ringBytes: 64 * 1024,
      checkpointMs: 1000,
      checkpointBytes: 64 * 1024, // below what moves in a second here: the interval decides
      now: () => (clock += 100), // every look at the clock is 100 ms later
      onDurable: (at) => durable.push({ at, syncsDone: o.syncs.filter((s) => s.done).length }),
    });
    let wake: (() => void) | null = null;
    w.onReady = () => wake?.();
    w.release();
    for (const c of chunks) {
      if (!w.write(c)) await new Promise<void>((r) => (wake = r));
      // A link slower than the disk: each fsync ends before much more arrives.
      do await new Promise((r) => setImmediate(r));
      while (o.syncs.some((s) => !s.done));
    }
    await w.close(true);
    const total = 120 * 16 * 1024;
    expect(readFileSync(file).length).toBe(total);
    // Checkpoints during the download, and the final one at close with the whole file.
    expect(durable.length).toBeGreaterThan(2);
    expect(durable.at(-1)!.at).toBe(total);
    expect(o.syncs.length).toBe(durable.length);
    durable.forEach((d, k) => {
      // The k-th report follows the k-th fsync's end, and that fsync began with at least d.at bytes in the file.
      expect(d.syncsDone).toBeGreaterThanOrEqual(k + 1);
      expect(o.syncs[k]!.startSize).toBeGreaterThanOrEqual(d.at);
    });
    expect(durable.map((d) => d.at)).toEqual([...durable.map((d) => d.at)].sort((a, b) => a - b));
    // During the download (all but the final fsync at close), fsyncs are at least checkpointMs apart.
    const during = o.syncs.slice(0, -1).map((s) => s.at);
    during.slice(1).forEach((at, k) => expect(at - during[k]!).toBeGreaterThanOrEqual(1000));
  });

  /** Feeds `count` chunks of `size` bytes, one per `stepMs` of the writer's clock, each write and fsync ending before the next chunk. */
  async function slowLink(o: { size: number; count: number; stepMs: number; checkpointBytes: number }) {
    const file = join(dir.path, `f${n++}`);
    let clock = 0;
    const ob = observed(file, () => clock);
    const durable: Array<{ bytes: number; at: number }> = [];
    const w = createPartWriter({
      open: ob.open,
      startOffset: 0,
      ringBytes: 64 * 1024,
      checkpointMs: 1000,
      checkpointBytes: o.checkpointBytes,
      now: () => clock,
      onDurable: (bytes) => durable.push({ bytes, at: clock }),
    });
    let written = 0;
    w.onWritten = (x) => (written = x);
    w.release();
    for (let i = 1; i <= o.count; i++) {
      clock += o.stepMs;
      w.write(randomBytes(o.size));
      // A chunk of the ring's least write (16 KiB here) is written at once: wait for it and any fsync, as a slow link would.
      do await new Promise((r) => setTimeout(r, 1));
      while (written < i * o.size || ob.syncs.some((x) => !x.done));
    }
    await w.close(true);
    return { during: durable.slice(0, -1), seconds: clock / 1000 }; // the last one is close()'s
  }

  it('on a link slower than checkpointBytes a second, checkpoints per checkpointBytes written, not per second', async () => {
    // 16 KiB per 100 ms (160 KiB/s) for 12 s: 1.9 MiB, checkpoints per 256 KiB (1.6 s), not one a second.
    const { during, seconds } = await slowLink({ size: 16 * 1024, count: 120, stepMs: 100, checkpointBytes: 256 * 1024 });
    expect(during.length).toBeGreaterThanOrEqual(2);
    expect(during.length).toBeLessThan(seconds / 1.5); // once a second would be one per second
    during.forEach((d, k) => expect(d.bytes - (during[k - 1]?.bytes ?? 0)).toBeGreaterThanOrEqual(256 * 1024));
  });

  it('on a very slow link still checkpoints once the longest gap (30 s) has passed', async () => {
    // 16 KiB per 2 s for 120 s: the bytes never reach checkpointBytes (960 KiB in all), the time does.
    const { during, seconds } = await slowLink({ size: 16 * 1024, count: 60, stepMs: 2000, checkpointBytes: 4 * 1024 * 1024 });
    expect(during.length).toBeGreaterThanOrEqual(Math.floor(seconds / 30) - 1);
    expect(during.length).toBeGreaterThanOrEqual(2);
    during.forEach((d, k) => {
      expect(d.bytes).toBeLessThan(4 * 1024 * 1024);
      if (k > 0) expect(d.at - during[k - 1]!.at).toBeGreaterThanOrEqual(30_000);
    });
  });

  it('without onDurable or durable close it never fsyncs', async () => {
    const file = join(dir.path, `f${n++}`);
    const o = observed(file);
    await feed([randomBytes(300_000), randomBytes(300_000)], { open: o.open, startOffset: 0, ringBytes: 64 * 1024, now: () => Date.now() + 1e9 }, false);
    expect(readFileSync(file).length).toBe(600_000);
    expect(o.syncs).toEqual([]);
  });

  it('an fsync that fails is never reported as durable and fails close', async () => {
    const file = join(dir.path, `f${n++}`);
    const durable: number[] = [];
    const w = createPartWriter({
      open: async () => {
        const f = await openPart(file, true)();
        return { writev: (b) => f.writev(b), close: () => f.close(), sync: async () => Promise.reject(Object.assign(new Error('EIO'), { code: 'EIO' })) };
      },
      startOffset: 0,
      onDurable: (x) => durable.push(x),
    });
    w.release();
    w.write(randomBytes(1000));
    await expect(w.close(true)).rejects.toMatchObject({ code: 'EIO' });
    expect(durable).toEqual([]);
  });

  it('a callback that throws (a progress record the database refused) fails the writer and close, never the process', async () => {
    const file = join(dir.path, `f${n++}`);
    const w = createPartWriter({
      open: openPart(file, true),
      startOffset: 0,
      checkpointMs: 0,
      onDurable: () => {
        throw Object.assign(new Error('database disk image is malformed'), { code: 'SQLITE_CORRUPT' });
      },
    });
    w.onWritten = () => {
      throw new Error('onWritten refused');
    };
    let ready = 0;
    w.onReady = () => ready++;
    w.release();
    for (let i = 0; i < 8; i++) w.write(randomBytes(300 * 1024));
    await expect(w.close(true)).rejects.toThrow(/onWritten refused|malformed/);
    expect(w.error).not.toBeNull();
    expect(ready).toBeGreaterThan(0); // the source heard of it
  });

  it('lends free space at the write position only while nothing waits, and takes a chunk read into it in place', async () => {
    const file = join(dir.path, `f${n++}`);
    const w = createPartWriter({ open: openPart(file, true), startOffset: 0, ringBytes: 64 * 1024 });
    const a = randomBytes(1000);
    w.write(a);
    const span = w.span(1_000_000)!;
    expect(span.length).toBe(64 * 1024 - 1000); // bounded by the room left, not by the ask
    expect(w.span(100)).toBeNull(); // too small to be worth a lent read
    // A read lands in the span; the framing before the body (8 bytes) is skipped by moving the body down.
    const b = randomBytes(5000);
    span.write('5000\r\n\r\n', 0, 'latin1');
    b.copy(span, 8);
    w.write(span.subarray(8, 8 + b.length));
    // A view of the ring that is not where a lent span starts (a stale one) is copied, never moved over data.
    w.write(span.subarray(0, 100));
    const stale = Buffer.from(span.subarray(0, 100));
    // The ring nearly full: nothing is lent, the source reads into its own buffer.
    expect(w.write(randomBytes(45_000))).toBe(false);
    expect(w.span(64 * 1024)).toBeNull();
    w.release();
    await w.close(false);
    const got = readFileSync(file);
    expect(got.subarray(0, 1000).equals(a)).toBe(true);
    expect(got.subarray(1000, 6000).equals(b)).toBe(true);
    expect(got.subarray(6000, 6100).equals(stale)).toBe(true);
    expect(got.length).toBe(51_100);
  });

  it('hands a closed download\'s ring to the next one, and refuses a chunk after close', async () => {
    const open = (f: string) => ({ open: openPart(join(dir.path, f), true), startOffset: 0 });
    const w1 = createPartWriter(open(`f${n++}`));
    const ring1 = w1.span(64 * 1024)!.buffer;
    // Another download running meanwhile gets a ring of its own.
    const w2 = createPartWriter(open(`f${n++}`));
    expect(w2.span(64 * 1024)!.buffer === ring1).toBe(false);
    w1.release();
    await w1.close(false);
    expect(w1.write(Buffer.from('late'))).toBe(false);
    expect(w1.error).toBeInstanceOf(Error);
    await expect(w1.close(false)).rejects.toThrow(/closed twice/);
    const w3 = createPartWriter(open(`f${n++}`));
    expect(w3.span(64 * 1024)!.buffer === ring1).toBe(true);
    for (const w of [w2, w3]) {
      w.release();
      await w.close(false);
    }
  });
});
