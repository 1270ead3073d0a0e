// Where a request may go after the origin the client named: tus Locations and redirects keep to the
// https rule and the private-address rule, credentials (Authorization, custom token headers) stay
// with the client's origin, and a tus upload continues only for the same source file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, utimesSync, writeFileSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startOrigin, type Origin } from '../support/origin.js';
import { startTusOrigin, type TusOrigin } from '../support/tus-origin.js';
import { record } from '../support/records.js';
import type { HttpJob } from '../../src/model/job.js';
import { checkNextPlace, classOf } from '../../src/transfer/origin-rules.js';
import { isFerryError } from '../../src/errors.js';
import { attempt, download, makeHarness, sha256, type Harness } from './harness.js';

const KiB = 1024;
let origin: Origin;
let other: Origin;
let tus: TusOrigin;
let h: Harness;

beforeAll(async () => {
  origin = await startOrigin();
  other = await startOrigin();
  tus = await startTusOrigin();
  h = makeHarness();
});
afterAll(async () => {
  await h.cleanup();
  await origin.close();
  await other.close();
  await tus.close();
});

function source(rel: string, content: Buffer): void {
  mkdirSync(dirname(join(h.root, rel)), { recursive: true });
  writeFileSync(join(h.root, rel), content);
}

/** A tus creation endpoint that answers 201 with a Location chosen by the test (a hostile origin). */
async function hostileCreation(location: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(201, { location, 'tus-resumable': '1.0.0' }).end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/files`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('redirects', () => {
  it('drops Authorization and custom credential headers on a cross-origin redirect, keeps harmless ones', async () => {
    other.file('/landed.bin', Buffer.from('ok'));
    origin.redirect('/hop', other.url('/landed.bin'), 302);
    const t = download(origin.url('/hop'), 'r/landed.bin', { headers: { Authorization: 'Bearer s3cret', 'x-token': 'tok', Accept: 'application/octet-stream' } });
    expect((await attempt(h, t)).outcome).toBe('completed');
    const first = origin.log.find((e) => e.path === '/hop')!;
    expect(first.headers['x-token']).toBe('tok');
    const landed = other.log.find((e) => e.path === '/landed.bin')!;
    expect(landed.headers['authorization']).toBeUndefined();
    expect(landed.headers['x-token']).toBeUndefined();
    expect(landed.headers['accept']).toBe('application/octet-stream');
  });

  it('refuses a redirect from loopback into private address space (INSECURE_REDIRECT), without connecting', async () => {
    origin.redirect('/to-private', 'http://10.255.255.1:9/x', 302);
    const r = await attempt(h, download(origin.url('/to-private'), 'r/private.bin'));
    expect(r.outcome).toBe('failed');
    if (r.outcome === 'failed') expect(r.error.code).toBe('INSECURE_REDIRECT');
  });

  it('follows it when transfers.allowPrivateRedirects is on (the connection then fails, it is not refused)', async () => {
    const open = makeHarness({ allowPrivateRedirects: true, connectTimeoutS: 0.3 });
    try {
      origin.redirect('/to-private2', 'http://10.255.255.1:9/x', 302);
      const r = await attempt(open, download(origin.url('/to-private2'), 'r/private2.bin'));
      expect(r.outcome).not.toBe('completed');
      if (r.outcome === 'retry' || r.outcome === 'failed') expect(r.error.code).not.toBe('INSECURE_REDIRECT');
    } finally {
      await open.cleanup();
    }
  });

  it('classifies addresses and allows a request to stay within the class it started in', async () => {
    expect(classOf('127.0.0.1')).toBe('loopback');
    expect(classOf('::ffff:192.168.1.2')).toBe('private');
    expect(classOf('169.254.169.254')).toBe('link-local');
    expect(classOf('fd00::1')).toBe('private');
    expect(classOf('93.184.216.34')).toBe('public');
    const resolve = async (host: string): Promise<string[]> => (host === 'public.test' ? ['203.0.113.7'] : ['127.0.0.1']);
    const pub = new URL('http://public.test/a');
    await expect(checkNextPlace(pub, pub, new URL('http://127.0.0.1:8080/admin'), { allowPrivate: false, resolve }, 'redirect')).rejects.toSatisfy(
      (e: unknown) => isFerryError(e) && e.code === 'INSECURE_REDIRECT',
    );
    await expect(checkNextPlace(pub, pub, new URL('http://metadata.test/'), { allowPrivate: false, resolve }, 'redirect')).rejects.toThrow(/loopback/);
    const loop = new URL('http://127.0.0.1:1/a');
    await expect(checkNextPlace(loop, loop, new URL('http://127.0.0.2:2/b'), { allowPrivate: false, resolve }, 'redirect')).resolves.toBeUndefined();
    await expect(checkNextPlace(pub, pub, new URL('http://127.0.0.1/'), { allowPrivate: true, resolve }, 'redirect')).resolves.toBeUndefined();
  });
});

describe('tus Location', () => {
  it('sends neither the file nor credentials to another origin named by Location', async () => {
    const sink = other.sink('/elsewhere/u1');
    const hostile = await hostileCreation(other.url('/elsewhere/u1'));
    try {
      source('t/loc.bin', randomBytes(8 * KiB));
      const t = record('tus-loc', 'a', { url: hostile.url, path: 't/loc.bin', method: 'POST', direction: 'upload', protocol: 'tus', headers: { Authorization: 'Bearer s3cret', 'x-token': 'tok' } });
      const r = await attempt(h, t);
      expect(r.outcome).toBe('failed');
      if (r.outcome === 'failed') expect(r.error.code).toBe('INSECURE_REDIRECT');
      expect(other.log.filter((x) => x.path.startsWith('/elsewhere'))).toHaveLength(0);
      expect(sink.bodies).toHaveLength(0);
    } finally {
      await hostile.close();
    }
  });

  it('refuses a Location in private address space (INSECURE_REDIRECT) and records no upload URL', async () => {
    const hostile = await hostileCreation('http://192.168.77.1:1080/files/x');
    try {
      source('t/priv.bin', randomBytes(4 * KiB));
      const t = record('tus-priv', 'a', { url: hostile.url, path: 't/priv.bin', method: 'POST', direction: 'upload', protocol: 'tus' });
      const r = await attempt(h, t);
      expect(r.outcome).toBe('failed');
      if (r.outcome === 'failed') expect(r.error.code).toBe('INSECURE_REDIRECT');
      expect(t.resume.tusUrl).toBeUndefined();
    } finally {
      await hostile.close();
    }
  });
});

describe('tus resume', () => {
  it('starts a new upload when the source was rewritten at the same size, instead of splicing', async () => {
    const v1 = randomBytes(512 * KiB);
    const v2 = randomBytes(512 * KiB);
    source('t/same-size.bin', v1);
    const t: HttpJob = record('tus-rw', 'a', { url: tus.url, path: 't/same-size.bin', method: 'POST', direction: 'upload', protocol: 'tus' });
    tus.dropNextPatchAfter(128 * KiB);
    expect((await attempt(h, t)).outcome).toBe('retry');
    const firstUrl = t.resume.tusUrl!;
    expect(firstUrl).toBeTruthy();
    const before = statSync(join(h.root, 't/same-size.bin'));
    writeFileSync(join(h.root, 't/same-size.bin'), v2);
    // Same size, same inode, and the old mtime put back: only ctime (which no one can set back) moved.
    utimesSync(join(h.root, 't/same-size.bin'), before.atime, before.mtime);
    const r = await attempt(h, t);
    expect(r.outcome).toBe('completed');
    expect(t.resume.tusUrl).not.toBe(firstUrl);
    const id = t.resume.tusUrl!.split('/').pop()!;
    expect(sha256(readFileSync(join(tus.dir, id)))).toBe(sha256(v2));
  });
});
