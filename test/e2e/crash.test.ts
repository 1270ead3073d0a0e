// SIGKILL in the middle of transfers: after a restart they finish with the right content, and what the
// servers' own logs count as sent twice stays around the checkpoint size, not the file size.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess } from '../support/agent.js';
import { startOrigin, type Origin } from '../support/origin.js';

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
});
