// The engine's pacer hook with a real shared token bucket against real origins: uploads (plain and
// tus) and a download under one 1 MiB/s limit, every body byte reported exactly once; and which
// policy.bandwidth entry applies (pure).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import { bandwidthLimit } from '../../src/policy/bandwidth-rules.js';
import { createEngine } from '../../src/transfer/engine.js';
import { createThrottle } from '../../src/transfer/throttle.js';
import { record } from '../support/records.js';
import { startOrigin, type Origin } from '../support/origin.js';
import { startTusOrigin, type TusOrigin } from '../support/tus-origin.js';
import { makeTempDir } from '../support/tmp.js';

const MiB = 1024 * 1024;
const noop = { onProgress: () => undefined, onResumeState: () => undefined, onWarning: () => undefined };

describe('throttled engine', () => {
  let origin: Origin;
  let tus: TusOrigin;
  const tmp = makeTempDir('ferry-throttle-');
  beforeAll(async () => {
    origin = await startOrigin();
    tus = await startTusOrigin();
  });
  afterAll(async () => {
    await origin.close();
    await tus.close();
    tmp.cleanup();
  });

  it('shares one 1 MiB/s bucket between a plain upload, a tus upload and a download, counting each body byte once', async () => {
    const counted = { rx: 0, tx: 0 };
    let ends = 0;
    const throttle = createThrottle({
      limitFor: () => ({ key: 'cellular', bytesPerSecond: MiB }),
      onBytes: (_t, dir, n) => (counted[dir] += n),
      onAttemptEnd: () => ends++,
    });
    const root = join(tmp.path, 'root');
    mkdirSync(root, { recursive: true });
    const engine = createEngine({ transfers: { ...defaultConfig().transfers, connectTimeoutS: 5 }, transfersRoot: root, log: pino({ level: 'silent' }), throttle });
    try {
      const up = randomBytes(MiB);
      writeFileSync(join(root, 'up.bin'), up);
      origin.sink('/put');
      origin.file('/dl.bin', randomBytes(MiB));
      const t0 = performance.now();
      const results = await Promise.all([
        engine.runAttempt(record('p', 'a', { url: origin.url('/put'), path: 'up.bin', method: 'PUT', direction: 'upload' }), new AbortController().signal, noop),
        engine.runAttempt(record('t', 'a', { url: `${tus.url}`, path: 'up.bin', method: 'POST', direction: 'upload', protocol: 'tus' }), new AbortController().signal, noop),
        engine.runAttempt(record('d', 'a', { url: origin.url('/dl.bin'), path: 'dl.bin' }), new AbortController().signal, noop),
      ]);
      const s = (performance.now() - t0) / 1000;
      expect(results.map((r) => r.outcome)).toEqual(['completed', 'completed', 'completed']);
      // 3 MiB at 1 MiB/s with a 0.5 s burst: about 2.5 s; unthrottled on loopback it is a few ms. Each of the
      // three may end on a chunk taken on credit (a debt nobody waits to pay: up to 256 KiB each), so the
      // floor is (3 - 0.5 - 0.75) s; which one ends last depends on start order.
      expect(s).toBeGreaterThan(1.75);
      expect(s).toBeLessThan(4.5);
      expect(counted.tx).toBe(2 * MiB);
      expect(counted.rx).toBe(origin.bytesSent('/dl.bin'));
      expect(ends).toBe(3);
    } finally {
      await engine.close();
    }
  }, 20_000);
});

describe('bandwidthLimit', () => {
  const windows = { night: [{ days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], start: '01:00', end: '05:00' }] };
  const bandwidth = [
    { network: 'cellular' as const, bytesPerSecond: 131072, window: null, exempt: ['userInitiated' as const] },
    { network: 'cellular' as const, bytesPerSecond: 1048576, window: 'night', exempt: ['userInitiated' as const, 'expedited' as const] },
    { network: 'wifi' as const, bytesPerSecond: 4194304, window: null, exempt: [] },
  ];
  const p = { bandwidth, windows };
  const bg = { userInitiated: false, expedited: false };
  const day = Date.parse('2026-01-15T11:00:00Z');
  const night = Date.parse('2026-01-15T02:00:00Z');
  it('an open window entry wins over the plain one; outside it the plain one holds', () => {
    expect(bandwidthLimit(bg, 'cellular', p, day, 'Europe/Berlin')?.bytesPerSecond).toBe(131072);
    expect(bandwidthLimit(bg, 'cellular', p, night, 'Europe/Berlin')?.bytesPerSecond).toBe(1048576);
  });
  it('exempt flags are read from the chosen entry; other networks have their own or none', () => {
    expect(bandwidthLimit({ userInitiated: true, expedited: false }, 'cellular', p, day, 'Europe/Berlin')).toBeNull();
    expect(bandwidthLimit({ userInitiated: false, expedited: true }, 'cellular', p, day, 'Europe/Berlin')?.bytesPerSecond).toBe(131072);
    expect(bandwidthLimit({ userInitiated: false, expedited: true }, 'cellular', p, night, 'Europe/Berlin')).toBeNull();
    expect(bandwidthLimit({ userInitiated: true, expedited: false }, 'wifi', p, day, 'Europe/Berlin')?.bytesPerSecond).toBe(4194304);
    expect(bandwidthLimit(bg, 'ethernet', p, day, 'Europe/Berlin')).toBeNull();
  });
});
