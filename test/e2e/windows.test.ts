// A running transfer is paused at its window's end and resumes in the next opening, on the real ferryd
// with a settable wall clock (libfaketime) against a real throttled origin. The window is read in
// Europe/Berlin (policy.timeZone), so the instants below are CET.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess } from '../support/agent.js';
import { createFakeClock, libfaketime } from '../support/fake-clock.js';
import { startOrigin, type Origin } from '../support/origin.js';

const MiB = 1024 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const CI = process.env['CI'] === 'true';
const lib = libfaketime();
if (!lib && !CI) console.warn('skipping the window e2e test: libfaketime is not installed (apt-get install faketime; test/install-deps.sh does)');

describe.skipIf(!lib && !CI)('time windows on the real agent', () => {
  let origin: Origin;
  beforeAll(async () => {
    origin = await startOrigin();
  });
  afterAll(() => origin.close());

  it('pauses a running transfer at the window end and resumes it at the next opening', async () => {
    const content = randomBytes(4 * MiB);
    const route = origin.file('/night.bin', content, { throttleBytesPerSec: 128 * 1024 });
    const agent = new AgentProcess({
      policy: { timeZone: 'Europe/Berlin', windows: { night: [{ days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], start: '01:00', end: '05:00' }] } },
    });
    // 04:59:50 CET: ten seconds before the window closes.
    const clock = createFakeClock(agent.dir.path, '2027-01-14T03:59:50.000Z');
    try {
      await agent.start(clock.env);
      const created = await agent.api('POST', '/v1/transfers', { url: origin.url('/night.bin'), path: 'night.bin', window: 'night' });
      expect(created.status).toBe(201);
      expect(created.body.window).toBe('night');
      const id = created.body.id as string;
      await agent.waitTransfer(id, (t) => t.state === 'running' && t.bytesTransferred > 0, 10_000, 'running inside the window');

      const paused = await agent.waitTransfer(id, (t) => t.state === 'waiting', 20_000, 'paused at the window end');
      expect(paused.reasons.map((r: { code: string }) => r.code)).toEqual(['outside-window']);
      // Re-decided every second while running: stopped within a pass of 05:00:00 CET.
      const at = Date.parse(paused.updatedAt);
      expect(at).toBeGreaterThanOrEqual(Date.parse('2027-01-14T04:00:00.000Z'));
      expect(at).toBeLessThan(Date.parse('2027-01-14T04:00:02.500Z'));
      const opening = '2027-01-15T00:00:00.000Z'; // 01:00 CET the next day
      expect(paused.reasons[0].message).toContain(opening);
      await agent.waitTransfer(id, (t) => t.nextAttemptAt === opening, 5_000, 'nextAttemptAt at the opening');
      const kept = (await agent.transfer(id)).bytesTransferred as number;
      expect(kept).toBeGreaterThan(0);
      const sentAtPause = origin.bytesSent('/night.bin');
      await new Promise((r) => setTimeout(r, 1500));
      expect(origin.bytesSent('/night.bin')).toBe(sentAtPause); // nothing moves outside the window

      // Jump to five seconds before the next opening (a wall-clock jump the timers do not see).
      route.throttleBytesPerSec = null;
      clock.set('2027-01-14T23:59:55.000Z');
      const done = await agent.waitTransfer(id, (t) => t.state === 'completed', 40_000, 'resumed and completed in the next window');
      expect(Date.parse(done.updatedAt)).toBeGreaterThanOrEqual(Date.parse(opening));
      expect(sha256(readFileSync(join(agent.root, 'night.bin')))).toBe(sha256(content));
      const gets = origin.log.filter((e) => e.path === '/night.bin' && e.method === 'GET');
      expect(gets.length).toBe(2);
      expect(gets[1]!.rangeStart).toBe(kept); // resumed where it stopped
    } finally {
      await agent.stop();
    }
  }, 90_000);
});
