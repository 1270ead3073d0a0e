import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startOrigin, type Origin } from '../support/origin.js';
import { makeTestCerts, type TestCerts } from '../support/tls-certs.js';
import { attempt, download, makeHarness, readOut, type Harness } from './harness.js';

const NOW = Date.parse('2025-06-01T12:00:00Z');
let origin: Origin;
let tlsOrigin: Origin;
let certs: TestCerts;
let h: Harness;

beforeAll(async () => {
  certs = makeTestCerts();
  origin = await startOrigin();
  tlsOrigin = await startOrigin({ tls: { key: certs.key, cert: certs.cert } });
  h = makeHarness({}, () => NOW);
});
afterAll(async () => {
  await h.cleanup();
  await origin.close();
  await tlsOrigin.close();
  certs.cleanup();
});

describe('download status handling', () => {
  it('retries 500 and 503, then completes when the server recovers', async () => {
    const content = randomBytes(10_000);
    const route = origin.file('/flaky.bin', content);
    route.faults.push({ status: 500 }, { status: 503 });
    const t = download(origin.url('/flaky.bin'), 'flaky.bin');
    const a = await attempt(h, t);
    expect(a).toMatchObject({ outcome: 'retry', retryAfterMs: null, bytesTransferred: 0 });
    if (a.outcome === 'retry') expect([a.error.code, a.error.message]).toEqual(['HTTP_STATUS', 'server answered HTTP 500']);
    expect((await attempt(h, t)).outcome).toBe('retry');
    expect((await attempt(h, t)).outcome).toBe('completed');
    expect(readOut(h, 'flaky.bin').equals(content)).toBe(true);
  });

  it('retries 429 honouring Retry-After in seconds and as an HTTP date', async () => {
    const route = origin.file('/busy.bin', randomBytes(100));
    route.faults.push({ status: 429, headers: { 'retry-after': '7' } });
    route.faults.push({ status: 503, headers: { 'retry-after': new Date(NOW + 90_000).toUTCString() } });
    const t = download(origin.url('/busy.bin'), 'busy.bin');
    expect(await attempt(h, t)).toMatchObject({ outcome: 'retry', retryAfterMs: 7000 });
    expect(await attempt(h, t)).toMatchObject({ outcome: 'retry', retryAfterMs: 90_000 });
  });

  it('retries 408 and fails other 4xx for good', async () => {
    const route = origin.file('/gone.bin', randomBytes(100));
    route.faults.push({ status: 408 }, { status: 403 });
    const t = download(origin.url('/gone.bin'), 'gone.bin');
    expect((await attempt(h, t)).outcome).toBe('retry');
    const r = await attempt(h, t);
    expect(r.outcome).toBe('failed');
    if (r.outcome === 'failed') expect(r.error.code).toBe('HTTP_STATUS');
    expect((await attempt(h, download(origin.url('/missing.bin'), 'missing.bin'))).outcome).toBe('failed');
  });

  it('retries NETWORK_ERROR when nothing listens', async () => {
    const r = await attempt(h, download('http://127.0.0.1:1/x', 'x.bin'));
    expect(r.outcome).toBe('retry');
    if (r.outcome === 'retry') expect(r.error.code).toBe('NETWORK_ERROR');
  });
});

describe('redirects', () => {
  it('follows a chain of redirects within the limit', async () => {
    const content = randomBytes(5000);
    origin.file('/final.bin', content);
    origin.redirect('/r1', '/r2', 301);
    origin.redirect('/r2', origin.url('/final.bin'), 307);
    expect((await attempt(h, download(origin.url('/r1'), 'chain.bin'))).outcome).toBe('completed');
    expect(readOut(h, 'chain.bin').equals(content)).toBe(true);
  });

  it('fails REDIRECT_LIMIT on a redirect loop', async () => {
    origin.redirect('/loop-a', '/loop-b');
    origin.redirect('/loop-b', '/loop-a');
    const r = await attempt(h, download(origin.url('/loop-a'), 'loop.bin'));
    expect(r.outcome).toBe('failed');
    if (r.outcome === 'failed') expect(r.error.code).toBe('REDIRECT_LIMIT');
    expect(origin.log.filter((e) => e.path.startsWith('/loop-')).length).toBe(2);
  });

  it('fails REDIRECT_LIMIT when a chain is longer than maxRedirects', async () => {
    const strict = makeHarness({ maxRedirects: 1 });
    try {
      origin.redirect('/c1', '/c2');
      origin.redirect('/c2', '/final.bin');
      const r = await attempt(strict, download(origin.url('/c1'), 'c.bin'));
      expect(r.outcome === 'failed' && r.error.code).toBe('REDIRECT_LIMIT');
    } finally {
      await strict.cleanup();
    }
  });

  it('refuses a redirect from https to plain http', async () => {
    const tlsTrusting = makeHarness({ caFile: certs.caFile });
    try {
      origin.file('/plain.bin', randomBytes(100));
      tlsOrigin.redirect('/downgrade', origin.url('/plain.bin'));
      const r = await attempt(tlsTrusting, download(tlsOrigin.url('/downgrade'), 'down.bin'));
      expect(r.outcome === 'failed' && r.error.code).toBe('INSECURE_REDIRECT');
      expect(origin.log.some((e) => e.path === '/plain.bin')).toBe(false);
    } finally {
      await tlsTrusting.cleanup();
    }
  });
});

describe('TLS', () => {
  it('fails TLS_ERROR for a certificate from an untrusted CA', async () => {
    tlsOrigin.file('/secure.bin', randomBytes(100));
    const r = await attempt(h, download(tlsOrigin.url('/secure.bin'), 'untrusted.bin'));
    expect(r.outcome).toBe('failed');
    if (r.outcome === 'failed') expect(r.error.code).toBe('TLS_ERROR');
    expect(existsSync(join(h.root, 'untrusted.bin'))).toBe(false);
  });

  it('trusts the CA given as caFile', async () => {
    const content = randomBytes(50_000);
    tlsOrigin.file('/secure2.bin', content);
    const trusting = makeHarness({ caFile: certs.caFile });
    try {
      const r = await attempt(trusting, download(tlsOrigin.url('/secure2.bin'), 'trusted.bin'));
      expect(r.outcome).toBe('completed');
      expect(readOut(trusting, 'trusted.bin').equals(content)).toBe(true);
    } finally {
      await trusting.cleanup();
    }
  });
});

describe('probe', () => {
  it('reports size and range support from a HEAD', async () => {
    origin.file('/probe.bin', randomBytes(12_345));
    origin.file('/probe-norange.bin', randomBytes(10), { acceptRanges: false });
    const signal = new AbortController().signal;
    expect(await h.engine.probe(download(origin.url('/probe.bin')), signal)).toEqual({ totalBytes: 12_345, acceptsRanges: true });
    expect(await h.engine.probe(download(origin.url('/probe-norange.bin')), signal)).toEqual({ totalBytes: 10, acceptsRanges: false });
  });
});
