import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startOrigin, type Origin } from '../support/origin.js';
import { attempt, download, makeHarness, partOf, readOut, sha256, type Harness } from './harness.js';

const MiB = 1024 * 1024;
let origin: Origin;
let h: Harness;

beforeAll(async () => {
  origin = await startOrigin();
  h = makeHarness();
});
afterAll(async () => {
  await h.cleanup();
  await origin.close();
});

describe('download resume', () => {
  it('resumes after a connection dropped mid-body, fetching almost nothing twice, and the sha256 matches', async () => {
    const content = randomBytes(2 * MiB);
    const route = origin.file('/drop.bin', content);
    route.faults.push({ dropAfterBytes: MiB });
    const t = download(origin.url('/drop.bin'), 'd/drop.bin', { sha256: sha256(content) });

    const first = await attempt(h, t);
    expect(first.outcome).toBe('retry');
    if (first.outcome !== 'retry') return;
    expect(['LENGTH_MISMATCH', 'NETWORK_ERROR']).toContain(first.error.code);
    expect(first.bytesTransferred).toBe(MiB);
    expect(t.resume.etag).toBe(route.etag);
    // The final path never holds a partial file; the part file beside it does.
    expect(existsSync(join(h.root, 'd/drop.bin'))).toBe(false);
    expect(statSync(partOf(h, t)).size).toBe(MiB);

    const second = await attempt(h, t);
    expect(second).toMatchObject({ outcome: 'completed', bytesTransferred: 2 * MiB, totalBytes: 2 * MiB });
    expect(sha256(readOut(h, 'd/drop.bin'))).toBe(sha256(content));
    const reqs = origin.log.filter((e) => e.path === '/drop.bin');
    expect(reqs[1]).toMatchObject({ rangeStart: MiB, ifRange: route.etag, status: 206 });
    expect(origin.bytesSent('/drop.bin')).toBe(content.length); // nothing fetched twice
    expect(existsSync(partOf(h, t))).toBe(false);
  });

  it('retries NO_PROGRESS when the server stalls past the timeout, then resumes from the bytes it has', async () => {
    const content = randomBytes(MiB);
    const route = origin.file('/stall.bin', content);
    route.faults.push({ stallAfterBytes: 300 * 1024 });
    const t = download(origin.url('/stall.bin'), 'stall.bin');
    const quick = makeHarness({ noProgressTimeoutS: 0.5 });
    onTestFinished(() => quick.cleanup());

    const first = await attempt(quick, t);
    expect(first).toMatchObject({ outcome: 'retry', bytesTransferred: 300 * 1024 });
    if (first.outcome === 'retry') expect(first.error.code).toBe('NO_PROGRESS');

    const second = await attempt(quick, t);
    expect(second.outcome).toBe('completed');
    expect(readOut(quick, 'stall.bin').equals(content)).toBe(true);
    expect(origin.log.filter((e) => e.path === '/stall.bin')[1]?.rangeStart).toBe(300 * 1024);
  });

  it('restarts from zero with the new content when the ETag changed between attempts', async () => {
    const v1 = randomBytes(MiB);
    const v2 = randomBytes(MiB + 4096);
    const route = origin.file('/changing.bin', v1);
    route.faults.push({ dropAfterBytes: 512 * 1024 });
    const t = download(origin.url('/changing.bin'), 'changing.bin', { sha256: sha256(v2) });

    expect((await attempt(h, t)).outcome).toBe('retry');
    const oldEtag = route.etag;
    route.setContent(v2);

    const second = await attempt(h, t);
    expect(second).toMatchObject({ outcome: 'completed', totalBytes: v2.length });
    expect(readOut(h, 'changing.bin').equals(v2)).toBe(true);
    expect(second.rec.warnings).toEqual([]);
    expect(t.resume.etag).toBe(route.etag);
    const req = origin.log.filter((e) => e.path === '/changing.bin')[1];
    expect(req).toMatchObject({ rangeStart: 512 * 1024, ifRange: oldEtag, status: 200 });
  });

  it('resumes with Last-Modified when the server has no ETag, and restarts when it changes', async () => {
    const v1 = randomBytes(MiB);
    const route = origin.file('/lm.bin', v1, { etag: null, lastModified: 'Tue, 01 Apr 2025 10:00:00 GMT' });
    route.faults.push({ dropAfterBytes: 256 * 1024 });
    const t = download(origin.url('/lm.bin'), 'lm.bin');
    expect((await attempt(h, t)).outcome).toBe('retry');
    // partBytes/partBoot: the fsynced size of the part and the boot it was written in (what a resume may trust).
    expect(t.resume).toEqual({ etag: undefined, lastModified: 'Tue, 01 Apr 2025 10:00:00 GMT', partBytes: 256 * 1024, partBoot: expect.any(String) });

    route.faults.push({ dropAfterBytes: 256 * 1024 });
    expect((await attempt(h, t)).outcome).toBe('retry');
    expect(origin.log.filter((e) => e.path === '/lm.bin')[1]).toMatchObject({ rangeStart: 256 * 1024, status: 206 });

    const v2 = randomBytes(MiB);
    route.content = v2;
    route.lastModified = 'Wed, 02 Apr 2025 10:00:00 GMT';
    expect((await attempt(h, t)).outcome).toBe('completed');
    expect(readOut(h, 'lm.bin').equals(v2)).toBe(true);
  });

  it('warns no-range-support and restarts from zero when the server ignores Range', async () => {
    const content = randomBytes(MiB);
    const route = origin.file('/norange.bin', content, { acceptRanges: false });
    route.faults.push({ dropAfterBytes: 256 * 1024 });
    const t = download(origin.url('/norange.bin'), 'norange.bin');
    expect((await attempt(h, t)).outcome).toBe('retry');

    const second = await attempt(h, t);
    expect(second.outcome).toBe('completed');
    expect(second.rec.warnings.map((w) => w.code)).toEqual(['no-range-support']);
    expect(readOut(h, 'norange.bin').equals(content)).toBe(true);
    expect(origin.log.filter((e) => e.path === '/norange.bin')[1]).toMatchObject({ status: 200, bytesSent: content.length });
  });

  it('warns up front when a large file comes from a server that does not advertise ranges', async () => {
    const content = randomBytes(6 * MiB);
    origin.file('/big-norange.bin', content, { acceptRanges: false });
    const r = await attempt(h, download(origin.url('/big-norange.bin'), 'big-norange.bin'));
    expect(r.outcome).toBe('completed');
    expect(r.rec.warnings.map((w) => w.code)).toEqual(['no-range-support']);
  });

  it('retries LENGTH_MISMATCH on a body shorter than Content-Length, keeping only real bytes', async () => {
    const content = randomBytes(MiB);
    const route = origin.file('/short.bin', content);
    route.faults.push({ contentLengthDelta: 1000 });
    const t = download(origin.url('/short.bin'), 'short.bin', { sha256: sha256(content) });

    const first = await attempt(h, t);
    expect(first.outcome).toBe('retry');
    if (first.outcome === 'retry') expect(first.error.code).toBe('LENGTH_MISMATCH');
    expect(existsSync(join(h.root, 'short.bin'))).toBe(false);

    // The part holds the whole (real) file: the server says the range is past the end, and it is finished.
    const second = await attempt(h, t);
    expect(second.outcome).toBe('completed');
    expect(readOut(h, 'short.bin').equals(content)).toBe(true);
  });

  it('keeps the partial data when the caller aborts, and resumes from it', async () => {
    const content = randomBytes(MiB);
    origin.file('/slow.bin', content, { throttleBytesPerSec: 2 * MiB });
    const t = download(origin.url('/slow.bin'), 'slow.bin');
    const ac = new AbortController();
    const running = attempt(h, t, ac.signal);
    // Bytes the client holds (its part file), not bytes the server sent: those may still be in flight.
    await waitForBytes(() => (existsSync(partOf(h, t)) ? statSync(partOf(h, t)).size : 0), 64 * 1024);
    ac.abort(new Error('pause'));
    const first = await running;
    expect(first.outcome).toBe('aborted');
    expect(first.outcome === 'aborted' && first.bytesTransferred).toBeGreaterThan(0);

    const second = await attempt(h, t);
    expect(second.outcome).toBe('completed');
    expect(readOut(h, 'slow.bin').equals(content)).toBe(true);
    expect(origin.log.filter((e) => e.path === '/slow.bin')[1]?.rangeStart).toBe(first.outcome === 'aborted' ? first.bytesTransferred : -1);
  });

  it('removes the part file when a later attempt fails for good', async () => {
    const route = origin.file('/revoked.bin', randomBytes(MiB));
    route.faults.push({ dropAfterBytes: 256 * 1024 }, { status: 403 });
    const t = download(origin.url('/revoked.bin'), 'revoked.bin');
    expect((await attempt(h, t)).outcome).toBe('retry');
    expect(existsSync(partOf(h, t))).toBe(true);
    expect((await attempt(h, t)).outcome).toBe('failed');
    expect(existsSync(partOf(h, t))).toBe(false);
  });

  it('fails CHECKSUM_MISMATCH and removes the part file when the sha256 differs', async () => {
    origin.file('/sum.bin', randomBytes(64 * 1024));
    const t = download(origin.url('/sum.bin'), 'sum.bin', { sha256: '0'.repeat(64) });
    const r = await attempt(h, t);
    expect(r.outcome).toBe('failed');
    if (r.outcome === 'failed') expect(r.error.code).toBe('CHECKSUM_MISMATCH');
    expect(existsSync(join(h.root, 'sum.bin'))).toBe(false);
    expect(existsSync(partOf(h, t))).toBe(false);
  });
});

async function waitForBytes(get: () => number, n: number): Promise<void> {
  const { waitFor } = await import('../support/wait.js');
  await waitFor(() => get() >= n, 5000, `${n} bytes sent`);
}
