// Poison records (issue 9): a value out of range is refused at the door, and a record that got into the
// database anyway (an older agent, a hand edit) fails alone instead of stopping the agent on every start.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess } from '../support/agent.js';
import { startOrigin, type Origin } from '../support/origin.js';
import { record } from '../support/records.js';

describe('poison records', () => {
  let origin: Origin;
  const agent = new AgentProcess();
  const stored = new AgentProcess();
  beforeAll(async () => {
    origin = await startOrigin();
    origin.file('/f.bin', Buffer.alloc(4096, 7));
    await agent.start();
  }, 30_000);
  afterAll(async () => {
    await agent.stop();
    await stored.stop();
    await origin.close();
  });

  it.each([
    [{ periodicMinutes: 1e12 }, 'periodicMinutes'],
    [{ periodicMinutes: 525_601 }, 'periodicMinutes'],
    [{ retry: { initialDelayS: 1e300 } }, 'retry.initialDelayS'],
    [{ retry: { maxDelayS: 1e20 } }, 'retry.maxDelayS'],
    [{ retry: { maxAttempts: 2 ** 53 } }, 'retry.maxAttempts'],
  ])('refuses %j with 400 INVALID_FIELD naming the field', async (extra, field) => {
    const r = await agent.api('POST', '/v1/transfers', { url: origin.url('/f.bin'), path: 'p.bin', ...extra });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'INVALID_FIELD', field });
  });

  it('fails a stored record whose period is out of range, and keeps running', { timeout: 60_000 }, async () => {
    await stored.start(); // creates the database
    await stored.kill('SIGTERM');
    const db = new Database(join(stored.dir.path, 'state', 'ferry.db'));
    const t = record('poison-1', 'root', { url: origin.url('/f.bin'), path: 'poison.bin', periodicMinutes: 1e12 });
    db.prepare('INSERT INTO transfers (id, owner, state, created_at, data) VALUES (?, ?, ?, ?, ?)').run(t.id, t.owner, t.state, t.createdAt, JSON.stringify(t));
    db.close();
    await stored.start();
    const failed = await stored.waitTransfer('poison-1', (x) => x.state === 'failed', 15_000, 'the poison record to fail');
    expect(failed.error).toMatchObject({ code: 'INVALID_FIELD', message: expect.stringMatching(/periodicMinutes/) });
    expect(stored.child!.exitCode).toBeNull();
    // The agent still does its work.
    const ok = await stored.api('POST', '/v1/transfers', { url: origin.url('/f.bin'), path: 'after.bin' });
    expect(ok.status).toBe(201);
    const done = await stored.waitTransfer(ok.body.id, (x) => x.state === 'completed', 15_000);
    expect(done.bytesTransferred).toBe(4096);
    // And it starts again on the same database without the record stopping it.
    await stored.kill('SIGTERM');
    await stored.start();
    expect((await stored.transfer('poison-1')).state).toBe('failed');
  });
});
