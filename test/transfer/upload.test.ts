import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startOrigin, type Origin } from '../support/origin.js';
import { makeTestCerts } from '../support/tls-certs.js';
import { startTusOrigin, type TusOrigin } from '../support/tus-origin.js';
import { record } from '../support/records.js';
import type { HttpJob } from '../../src/model/job.js';
import { attempt, makeHarness, sha256, type Harness } from './harness.js';
import { sendFileToSocket, waitSocketWritable } from '../../src/system/native.js';

const MiB = 1024 * 1024;
let origin: Origin;
let tus: TusOrigin;
let h: Harness;

beforeAll(async () => {
  origin = await startOrigin();
  tus = await startTusOrigin();
  h = makeHarness();
});
afterAll(async () => {
  await h.cleanup();
  await origin.close();
  await tus.close();
});

function upload(url: string, rel: string, content: Buffer | null, over: Partial<HttpJob> = {}, into: Harness = h): HttpJob {
  if (content) {
    mkdirSync(dirname(join(into.root, rel)), { recursive: true });
    writeFileSync(join(into.root, rel), content);
  }
  return record(`u-${randomBytes(4).toString('hex')}`, 'a', { url, path: rel, method: 'PUT', direction: 'upload', ...over });
}

/** An engine whose sendfile completions (thread pool) are delivered 150 ms late, after the origin's answer. */
function lateHarness(): Harness {
  return makeHarness({}, undefined, {
    fileSender: {
      sendFile: async (s, fd, offset, count) => {
        const r = await sendFileToSocket(s, fd, offset, count);
        await new Promise((ok) => setTimeout(ok, 150));
        return r;
      },
      waitWritable: waitSocketWritable,
    },
  });
}

describe('plain upload', () => {
  it('streams the file with PUT and Content-Length', async () => {
    const content = randomBytes(3 * MiB + 17);
    const sink = origin.sink('/put');
    const r = await attempt(h, upload(origin.url('/put'), 'up/a.bin', content, { headers: { 'X-Token': 'secret' } }));
    expect(r).toMatchObject({ outcome: 'completed', bytesTransferred: content.length, totalBytes: content.length });
    expect(sink.bodies).toHaveLength(1);
    expect(sink.bodies[0]!.equals(content)).toBe(true);
    const req = origin.log.find((e) => e.path === '/put')!;
    expect(req.headers['content-length']).toBe(String(content.length));
    expect(req.headers['x-token']).toBe('secret');
    expect(req.headers['user-agent']).toBe('ferry/0.1');
  });

  it('delivers a large file byte for byte over http and https (chunks recycled at full size)', async () => {
    const certs = makeTestCerts();
    const tlsOrigin = await startOrigin({ tls: { key: certs.key, cert: certs.cert } });
    const trusting = makeHarness({ caFile: certs.caFile });
    try {
      const content = randomBytes(40 * MiB + 5);
      const sinks = [origin.sink('/big'), tlsOrigin.sink('/big')];
      writeFileSync(join(trusting.root, 'big.bin'), content);
      for (const [i, o] of [origin, tlsOrigin].entries()) {
        const t = record(`big-${i}`, 'a', { url: o.url('/big'), path: 'big.bin', method: 'PUT', direction: 'upload' });
        expect((await attempt(trusting, t)).outcome).toBe('completed');
        expect(sha256(sinks[i]!.bodies[0]!)).toBe(sha256(content));
      }
    } finally {
      await trusting.cleanup();
      await tlsOrigin.close();
      certs.cleanup();
    }
  });

  it('completes when the answer is read before the last sendfile completion (no LENGTH_MISMATCH, no second send)', async () => {
    const late = lateHarness();
    onTestFinished(() => late.cleanup());
    const content = randomBytes(MiB + 5);
    const sink = origin.sink('/put-late');
    const r = await attempt(late, upload(origin.url('/put-late'), 'up/late.bin', content, {}, late));
    expect(r).toMatchObject({ outcome: 'completed', bytesTransferred: content.length });
    expect(sink.bodies).toHaveLength(1);
    expect(sink.bodies[0]!.equals(content)).toBe(true);
    const reported = r.rec.progress.length;
    await new Promise((ok) => setTimeout(ok, 300));
    expect(r.rec.progress.length).toBe(reported); // nothing reported after the attempt ended
    expect(r.rec.progress.at(-1)).toEqual([content.length, content.length]);
  });

  it('uploads with POST when asked', async () => {
    const sink = origin.sink('/post', 200);
    const content = randomBytes(1000);
    expect((await attempt(h, upload(origin.url('/post'), 'up/p.bin', content, { method: 'POST' }))).outcome).toBe('completed');
    expect(origin.log.find((e) => e.path === '/post')?.method).toBe('POST');
    expect(sink.bodies[0]!.equals(content)).toBe(true);
  });

  it('fails FILE_NOT_FOUND when the source is missing, without sending anything', async () => {
    origin.sink('/never');
    const r = await attempt(h, upload(origin.url('/never'), 'up/missing.bin', null));
    expect(r.outcome === 'failed' && r.error.code).toBe('FILE_NOT_FOUND');
    expect(origin.log.some((e) => e.path === '/never')).toBe(false);
  });

  it('refuses to send a source whose sha256 differs', async () => {
    origin.sink('/sum');
    const r = await attempt(h, upload(origin.url('/sum'), 'up/sum.bin', randomBytes(10), { sha256: 'f'.repeat(64) }));
    expect(r.outcome === 'failed' && r.error.code).toBe('CHECKSUM_MISMATCH');
    expect(origin.log.some((e) => e.path === '/sum')).toBe(false);
  });

  it('retries when the server drops the connection or answers 503, then starts over', async () => {
    const content = randomBytes(2 * MiB);
    const sink = origin.sink('/flaky-put');
    sink.faults.push({ dropAfterBytes: MiB }, { status: 503 });
    const t = upload(origin.url('/flaky-put'), 'up/flaky.bin', content);
    expect(await attempt(h, t)).toMatchObject({ outcome: 'retry', bytesTransferred: 0 });
    expect(await attempt(h, t)).toMatchObject({ outcome: 'retry', bytesTransferred: 0 });
    expect((await attempt(h, t)).outcome).toBe('completed');
    expect(sink.bodies.map((b) => sha256(b))).toEqual([sha256(content)]);
  });

  it('retries NO_PROGRESS when the server stops reading', async () => {
    const sink = origin.sink('/stall-put');
    sink.faults.push({ stallAfterBytes: 1 });
    const quick = makeHarness({ noProgressTimeoutS: 0.5 });
    onTestFinished(() => quick.cleanup());
    writeFileSync(join(quick.root, 'stall.bin'), randomBytes(8 * MiB));
    const t = record('stall', 'a', { url: origin.url('/stall-put'), path: 'stall.bin', method: 'PUT', direction: 'upload' });
    const r = await attempt(quick, t);
    expect(r.outcome === 'retry' && r.error.code).toBe('NO_PROGRESS');
  });
});

describe('tus upload', () => {
  it('persists the upload URL at creation, and after a cut mid-PATCH continues from the server offset', async () => {
    const content = randomBytes(3 * MiB);
    const t = upload(tus.url, 'up/tus.bin', content, { protocol: 'tus', method: 'POST' });
    tus.dropNextPatchAfter(MiB);

    const first = await attempt(h, t);
    expect(first.outcome).toBe('retry');
    expect(first.rec.resumes).toHaveLength(1);
    expect(t.resume.tusUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/files\/\w+/);

    const second = await attempt(h, t);
    expect(second).toMatchObject({ outcome: 'completed', bytesTransferred: content.length });
    expect(second.rec.resumes).toEqual([]); // same upload, not a new one
    const patches = tus.log.filter((e) => e.method === 'PATCH');
    expect(patches).toHaveLength(2);
    expect(patches[0]!.uploadOffset).toBe(0);
    // The server kept what it received before the cut; only the rest was sent again.
    expect(patches[1]!.uploadOffset).toBeGreaterThan(0);
    expect(patches[1]!.uploadOffset! + patches[1]!.bytesReceived).toBe(content.length);
    expect(tus.log.some((e) => e.method === 'HEAD')).toBe(true);
    const id = t.resume.tusUrl!.split('/').pop()!;
    expect(readdirSync(tus.dir)).toContain(id);
    expect(sha256(readFileSync(join(tus.dir, id)))).toBe(sha256(content));
  });

  it('reports no progress after the attempt ended when the PATCH answer is read before the last sendfile completion', async () => {
    const late = lateHarness();
    onTestFinished(() => late.cleanup());
    const content = randomBytes(MiB + 3);
    const r = await attempt(late, upload(tus.url, 'up/tus-late.bin', content, { protocol: 'tus', method: 'POST' }, late));
    expect(r).toMatchObject({ outcome: 'completed', bytesTransferred: content.length });
    const reported = r.rec.progress.length;
    await new Promise((ok) => setTimeout(ok, 300));
    expect(r.rec.progress.length).toBe(reported);
    expect(r.rec.progress.at(-1)).toEqual([content.length, content.length]);
  });

  it('creates a new upload when the stored upload URL is gone', async () => {
    const content = randomBytes(100_000);
    const t = upload(tus.url, 'up/tus2.bin', content, { protocol: 'tus', method: 'POST', resume: { tusUrl: `${tus.url}/0123456789abcdef` } });
    const r = await attempt(h, t);
    expect(r.outcome).toBe('completed');
    expect(r.rec.resumes).toHaveLength(1);
    expect(t.resume.tusUrl).not.toContain('0123456789abcdef');
    const id = t.resume.tusUrl!.split('/').pop()!;
    expect(readFileSync(join(tus.dir, id)).equals(content)).toBe(true);
  });
});
