// A cellular bandwidth limit shared by every background transfer: three concurrent downloads from a
// real origin together stay within ±10 % of 1 MiB/s over 30 s, while a user-initiated download (exempt)
// runs faster at the same time. The ±10 % is on the bytes ferry received (its own progress); the origin's
// count also holds what the kernel's socket buffers took in the window — they grow as TCP tunes itself,
// by up to a few MiB across three connections — so it gets a looser bound.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess } from '../support/agent.js';
import { startOrigin, type Origin } from '../support/origin.js';

const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('bandwidth limits on the real agent', () => {
  let origin: Origin;
  beforeAll(async () => {
    origin = await startOrigin();
  });
  afterAll(() => origin.close());

  it('holds 3 background downloads to 1 MiB/s together on cellular; a user-initiated one is exempt', async () => {
    const paths = ['/bg1.bin', '/bg2.bin', '/bg3.bin'];
    for (const p of paths) origin.file(p, randomBytes(24 * MiB));
    // The exempt download is held by the origin at 4 MiB/s so it lasts long enough to be measured.
    origin.file('/ui.bin', randomBytes(24 * MiB), { throttleBytesPerSec: 4 * MiB });
    const agent = new AgentProcess({
      conditions: { source: 'config', static: { network: { kind: 'cellular', interface: 'wwan0', generation: '4g', metered: true } } },
      policy: {
        concurrency: 4,
        downloadCaps: { cellularBytes: 64 * MiB },
        bandwidth: [{ network: 'cellular', bytesPerSecond: MiB, window: null, exempt: ['userInitiated'] }],
      },
    });
    try {
      await agent.start();
      const bytes = (list: string[]) => list.reduce((n, p) => n + origin.bytesSent(p), 0);
      const received = async (): Promise<number> => {
        const r = await agent.api('GET', '/v1/transfers');
        const list = (r.body as { transfers: Array<{ path: string; bytesTransferred: number }> }).transfers;
        return list.filter((t) => t.path !== 'ui.bin').reduce((n, t) => n + t.bytesTransferred, 0);
      };
      for (const p of paths) {
        const r = await agent.api('POST', '/v1/transfers', { url: origin.url(p), path: p.slice(1), preferences: 'allowCellularAndBattery' });
        expect(r.status).toBe(201);
      }
      // Let the socket and body buffers fill first: from then on the origin writes at the rate ferry reads.
      await sleep(5000);
      const t0 = performance.now();
      const b0 = bytes(paths);
      const r0 = await received();
      const ui = await agent.api('POST', '/v1/transfers', { url: origin.url('/ui.bin'), path: 'ui.bin', preferences: 'allowCellularAndBattery', userInitiated: true });
      expect(ui.status).toBe(201);
      await sleep(4000);
      const uiRate = origin.bytesSent('/ui.bin') / ((performance.now() - t0) / 1000);
      await sleep(26_000);
      const seconds = (performance.now() - t0) / 1000;
      const rate = ((await received()) - r0) / seconds;
      const originRate = (bytes(paths) - b0) / seconds;
      console.log(`3 background downloads: ${(rate / MiB).toFixed(3)} MiB/s together received over ${seconds.toFixed(1)} s (origin wrote ${(originRate / MiB).toFixed(3)}; limit 1 MiB/s); exempt user-initiated: ${(uiRate / MiB).toFixed(2)} MiB/s`);
      expect(rate).toBeGreaterThan(0.9 * MiB);
      expect(rate).toBeLessThan(1.1 * MiB);
      expect(originRate).toBeGreaterThan(0.8 * MiB);
      expect(originRate).toBeLessThan(1.25 * MiB);
      expect(uiRate).toBeGreaterThan(2 * MiB);
      // Each background download got a share (one bucket, not first come takes all).
      for (const p of paths) expect(origin.bytesSent(p)).toBeGreaterThan(4 * MiB);
    } finally {
      await agent.stop();
    }
  }, 90_000);
});
