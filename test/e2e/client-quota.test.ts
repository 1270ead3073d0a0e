// Per-client daily quotas on the real agent: a client's background download stops with client-quota
// once the client moved its daily allowance on this network kind; another client, and the same
// client's user-initiated work, go on.
import { randomBytes } from 'node:crypto';
import { chmodSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess } from '../support/agent.js';
import { apiAs, canSwitchUser } from '../support/api-as.js';
import { startOrigin, type Origin } from '../support/origin.js';

const MiB = 1024 * 1024;
const CAM = 4111;
const OTHER = 4112;
if (!canSwitchUser()) console.warn('skipping the client-quota e2e test: it calls the agent as other uids, which needs root');

describe.skipIf(!canSwitchUser())('client daily quotas on the real agent', () => {
  let origin: Origin;
  beforeAll(async () => {
    origin = await startOrigin();
  });
  afterAll(() => origin.close());

  it('holds a client over its daily ethernet bytes with client-quota until the next local day', async () => {
    for (const p of ['/a.bin', '/b.bin', '/c.bin']) origin.file(p, randomBytes(4 * MiB), { throttleBytesPerSec: 1024 * 1024 });
    const agent = new AgentProcess();
    agent.writeConfig({
      socket: { path: agent.socket, mode: '0666' },
      clients: { list: [{ name: 'cam', uids: [CAM], rights: ['userInitiated'], dailyBytes: { ethernet: MiB } }, { name: 'other', uids: [OTHER] }] },
      conditions: { source: 'config', static: { network: { kind: 'ethernet', interface: 'eth9' } } },
      policy: { concurrency: 3, timeZone: 'UTC' },
    });
    chmodSync(agent.dir.path, 0o755);
    try {
      await agent.start();
      const a = await apiAs(CAM, agent.socket, 'POST', '/v1/transfers', { url: origin.url('/a.bin'), path: 'a.bin' });
      const b = await apiAs(OTHER, agent.socket, 'POST', '/v1/transfers', { url: origin.url('/b.bin'), path: 'b.bin' });
      expect([a.status, b.status]).toEqual([201, 201]);
      const held = await agent.waitTransfer(a.body.id, (t) => t.state === 'waiting', 20_000, 'held by its quota');
      expect(held.reasons.map((r: { code: string }) => r.code)).toEqual(['client-quota']);
      const midnight = new Date(Date.parse(held.updatedAt) + 86_400_000).toISOString().slice(0, 10) + 'T00:00:00.000Z';
      expect(held.nextAttemptAt).toBe(midnight);
      expect(held.reasons[0].message).toContain(`resumes at ${midnight}`);
      // Stopped within a decision pass (1 s while running) of crossing 1 MiB.
      expect(held.bytesTransferred).toBeGreaterThanOrEqual(MiB);
      expect(held.bytesTransferred).toBeLessThan(MiB + 1.5 * MiB);
      // The other client is not held; the same client's user-initiated work is not either.
      const ui = await apiAs(CAM, agent.socket, 'POST', '/v1/transfers', { url: origin.url('/c.bin'), path: 'c.bin', userInitiated: true });
      expect(ui.status).toBe(201);
      await agent.waitTransfer(b.body.id, (t) => t.state === 'completed', 20_000, 'other client completes');
      await agent.waitTransfer(ui.body.id, (t) => t.state === 'completed', 20_000, 'user-initiated completes');
      expect((await agent.transfer(a.body.id)).state).toBe('waiting');
    } finally {
      await agent.stop();
    }
  }, 60_000);
});
