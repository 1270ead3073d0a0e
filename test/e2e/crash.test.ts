// SIGKILL in the middle of transfers: after a restart they finish with the right content, and what the
// servers' own logs count as sent twice stays around the checkpoint size, not the file size.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess } from '../support/agent.js';
import { startOrigin, type Origin } from '../support/origin.js';
import { startThrottleProxy } from '../support/throttle-proxy.js';
import { startTusOrigin } from '../support/tus-origin.js';

const MiB = 1024 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('crash safety (SIGKILL)', () => {
  let origin: Origin;
  beforeAll(async () => {
    origin = await startOrigin();
  });
  afterAll(() => origin.close());

  it('resumes a throttled 64 MiB download after SIGKILL and re-fetches at most about 1 MiB', async () => {
    const content = randomBytes(64 * MiB);
    origin.file('/big.bin', content, { throttleBytesPerSec: 4 * MiB });
    const agent = new AgentProcess();
    try {
      await agent.start();
      const created = await agent.api('POST', '/v1/transfers', { url: origin.url('/big.bin'), path: 'dl/big.bin', sha256: sha256(content) });
      expect(created.status).toBe(201);
      const id = created.body.id as string;
      await agent.waitTransfer(id, (t) => t.bytesTransferred > 20 * MiB, 60_000, '20 MiB to arrive');
      await agent.kill('SIGKILL');
      const sentBeforeRestart = origin.bytesSent('/big.bin');
      expect(sentBeforeRestart).toBeLessThan(content.length); // really killed mid-body

      await agent.start();
      const done = await agent.waitTransfer(id, (t) => t.state === 'completed' || t.state === 'failed', 60_000, 'completion');
      expect(done.state).toBe('completed');
      expect(sha256(readFileSync(join(agent.root, 'dl/big.bin')))).toBe(sha256(content));

      const requests = origin.log.filter((e) => e.path === '/big.bin' && e.method === 'GET');
      expect(requests.length).toBeGreaterThanOrEqual(2);
      expect(requests.at(-1)!.rangeStart).toBeGreaterThan(16 * MiB); // resumed, not restarted
      const resent = origin.bytesSent('/big.bin') - content.length;
      console.log(`download: server sent ${origin.bytesSent('/big.bin')} bytes for a ${content.length}-byte file; re-sent after SIGKILL: ${resent}`);
      expect(resent).toBeLessThanOrEqual(1.5 * MiB);
    } finally {
      await agent.stop();
    }
  }, 120_000);

  it('resumes a tus upload after SIGKILL from the offset the server holds', async () => {
    const content = randomBytes(32 * MiB);
    const tus = await startTusOrigin();
    const proxy = await startThrottleProxy({ port: Number(new URL(tus.url).port) }, 4 * MiB);
    const agent = new AgentProcess();
    try {
      mkdirSync(join(agent.root, 'up'), { recursive: true });
      writeFileSync(join(agent.root, 'up/data.bin'), content);
      await agent.start();
      const created = await agent.api('POST', '/v1/transfers', { url: proxy.url('/files'), method: 'POST', direction: 'upload', protocol: 'tus', path: 'up/data.bin' });
      expect(created.status).toBe(201);
      const id = created.body.id as string;
      await agent.waitTransfer(id, (t) => t.bytesTransferred > 10 * MiB, 60_000, '10 MiB to be sent');
      await agent.kill('SIGKILL');
      await agent.start();
      const done = await agent.waitTransfer(id, (t) => t.state === 'completed' || t.state === 'failed', 60_000, 'completion');
      expect(done.state).toBe('completed');

      const patches = tus.log.filter((e) => e.method === 'PATCH');
      expect(patches.length).toBeGreaterThanOrEqual(2);
      expect(patches.at(-1)!.uploadOffset).toBeGreaterThan(8 * MiB); // continued, not restarted
      const received = patches.reduce((n, e) => n + e.bytesReceived, 0);
      const resent = received - content.length;
      console.log(`tus upload: server received ${received} bytes for a ${content.length}-byte file; re-sent after SIGKILL: ${resent}`);
      expect(resent).toBeLessThanOrEqual(1 * MiB);
      const stored = readdirSync(tus.dir).filter((f) => !f.endsWith('.json'));
      expect(stored).toHaveLength(1);
      expect(sha256(readFileSync(join(tus.dir, stored[0]!)))).toBe(sha256(content));
    } finally {
      await agent.stop();
      await proxy.close();
      await tus.close();
    }
  }, 120_000);
});
