// The real ferryd and its state: database files only the agent can read, request headers never served,
// a damaged database moved aside at start (one error line, empty queue, no crash loop), and part files
// no unfinished transfer owns swept at start and on DELETE.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess } from '../support/agent.js';
import { startOrigin, type Origin } from '../support/origin.js';

const MiB = 1024 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('ferryd state database', () => {
  let origin: Origin;
  beforeAll(async () => {
    origin = await startOrigin();
  });
  afterAll(() => origin.close());

  it('keeps ferry.db, -wal and -shm 0600 and never serves request headers', async () => {
    const agent = new AgentProcess();
    try {
      origin.file('/small.bin', randomBytes(1000));
      await agent.start();
      const secret = `Bearer ${randomBytes(12).toString('hex')}`;
      const created = await agent.api('POST', '/v1/transfers', { url: origin.url('/small.bin'), path: 'h/small.bin', headers: { authorization: secret, 'x-token': secret } });
      expect(created.status).toBe(201);
      expect(JSON.stringify(created.body)).not.toContain(secret);
      await agent.waitTransfer(created.body.id, (t) => t.state === 'completed');
      for (const [m, p] of [['GET', `/v1/transfers/${created.body.id}`], ['GET', '/v1/transfers']] as const) {
        const r = await agent.api(m, p);
        expect(JSON.stringify(r.body)).not.toContain(secret);
        expect(JSON.stringify(r.body)).not.toMatch(/"headers"/);
      }
      const state = join(agent.dir.path, 'state');
      for (const f of ['ferry.db', 'ferry.db-wal', 'ferry.db-shm']) {
        expect(statSync(join(state, f)).mode & 0o777, f).toBe(0o600);
        expect(statSync(join(state, f)).uid, f).toBe(process.geteuid!());
      }
      expect(statSync(state).mode & 0o007).toBe(0); // nothing for others
    } finally {
      await agent.stop();
    }
  }, 60_000);

  it('moves a damaged database aside with one error line and starts with an empty queue', async () => {
    const agent = new AgentProcess();
    try {
      const state = join(agent.dir.path, 'state');
      mkdirSync(state, { recursive: true });
      writeFileSync(join(state, 'ferry.db'), randomBytes(256 * 1024));
      await agent.start();
      const list = await agent.api('GET', '/v1/transfers');
      expect(list.body.transfers).toEqual([]);
      expect(readdirSync(state).filter((f) => /^ferry\.db\.corrupt-\d{8}T\d{6}Z$/.test(f))).toHaveLength(1);
      const errors = agent.logs.split('\n').filter((l) => l.includes('"level":50'));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/state database is damaged: moved aside/);
      // And it takes work.
      origin.file('/after.bin', randomBytes(2000));
      const created = await agent.api('POST', '/v1/transfers', { url: origin.url('/after.bin'), path: 'after.bin' });
      expect(created.status).toBe(201);
      await agent.waitTransfer(created.body.id, (t) => t.state === 'completed');
      // A restart keeps the new queue (no second move aside).
      await agent.kill('SIGTERM');
      await agent.start();
      expect((await agent.api('GET', '/v1/transfers')).body.transfers).toHaveLength(1);
      expect(readdirSync(state).filter((f) => f.includes('.corrupt-'))).toHaveLength(1);
    } finally {
      await agent.stop();
    }
  }, 60_000);

  it('sweeps part files no unfinished download owns at start, keeps a paused one, and retries on DELETE', async () => {
    const content = randomBytes(8 * MiB);
    origin.file('/slow.bin', content, { throttleBytesPerSec: 2 * MiB });
    const agent = new AgentProcess();
    try {
      await agent.start();
      const kept = await agent.api('POST', '/v1/transfers', { url: origin.url('/slow.bin'), path: 'p/kept.bin', sha256: sha256(content) });
      const id = kept.body.id as string;
      await agent.waitTransfer(id, (t) => t.bytesTransferred > 1 * MiB, 20_000, '1 MiB');
      expect((await agent.api('POST', `/v1/transfers/${id}/pause`)).status).toBe(200);
      await agent.kill('SIGKILL');
      // Parts live per transfer id in ferry's private folder (transfer/part-file.ts).
      const keptPart = join(agent.root, '.ferry-parts', `${id}.part`);
      expect(existsSync(keptPart)).toBe(true);
      const orphans = [join(agent.root, '.ferry-parts/0b7c5b9e-gone.part'), join(agent.root, '.ferry-parts/left-by-a-kill.part')];
      for (const o of orphans) {
        mkdirSync(join(o, '..'), { recursive: true });
        writeFileSync(o, 'left by a cancel that a kill cut short');
      }
      writeFileSync(join(agent.root, 'p/not-a-part.bin'), 'a client file');
      await agent.start();
      for (const o of orphans) expect(existsSync(o), o).toBe(false);
      expect(existsSync(keptPart)).toBe(true);
      expect(existsSync(join(agent.root, 'p/not-a-part.bin'))).toBe(true);
      expect(agent.logs).toMatch(/removed part files no unfinished transfer owns/);

      // Cancel and delete: whatever the cancel left, DELETE removes the part file (awaited).
      const del = await agent.api('DELETE', `/v1/transfers/${id}`);
      expect(del.status).toBeLessThan(300);
      expect(existsSync(keptPart)).toBe(false);
    } finally {
      await agent.stop();
    }
  }, 60_000);
});
