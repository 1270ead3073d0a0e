// Full disks under the real ferryd, on small tmpfs mounts: a full transfers root and a full state
// folder make work wait with a reason (never a crash, never a 500), completed files stay intact, and
// work resumes when the space comes back. A damaged database on the state tmpfs is moved aside.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess } from '../support/agent.js';
import { startOrigin, type Origin } from '../support/origin.js';
import { prerequisite } from '../support/prerequisites.js';
import { mountTmpfs, tmpfsUnavailable, type Tmpfs } from '../support/tmpfs.js';
import { waitFor } from '../support/wait.js';

const MiB = 1024 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const why = prerequisite('disk-full tests (tmpfs mounts)', tmpfsUnavailable());

describe.skipIf(why !== null)('full disks (tmpfs)', () => {
  let origin: Origin;
  const mounts: Tmpfs[] = [];
  beforeAll(async () => {
    origin = await startOrigin();
  });
  afterAll(async () => {
    await origin.close();
    for (const m of mounts) m.unmount();
  });

  function agentOn(stateSize: number, rootSize: number): { agent: AgentProcess; state: Tmpfs; root: Tmpfs } {
    const agent = new AgentProcess();
    const state = mountTmpfs(join(agent.dir.path, 'state'), stateSize);
    const root = mountTmpfs(agent.root, rootSize);
    mounts.push(state, root);
    agent.writeConfig({
      conditions: { pollIntervalS: 0.25, storage: { lowPercent: 0, lowBytes: 0, floorBytes: 512 * 1024 } },
      transfers: { defaultRetry: { initialDelayS: 1, maxDelayS: 2, maxAttempts: 1000 } },
    });
    return { agent, state, root };
  }

  async function stop(a: AgentProcess, ...ms: Tmpfs[]): Promise<void> {
    await a.kill('SIGTERM');
    for (const m of ms) m.unmount();
    a.dir.cleanup();
  }

  const alive = (a: AgentProcess) => a.child !== null && a.child.exitCode === null && a.child.signalCode === null;

  it('a full transfers root: downloads wait with a reason, the done file stays intact, all finish once space returns', async () => {
    const { agent, root, state } = agentOn(16 * MiB, 24 * MiB);
    try {
      await agent.start();
      const done = randomBytes(2 * MiB);
      origin.file('/done.bin', done);
      const first = await agent.api('POST', '/v1/transfers', { url: origin.url('/done.bin'), path: 'done.bin', sha256: sha256(done) });
      await agent.waitTransfer(first.body.id, (t) => t.state === 'completed');

      root.fill(4 * MiB);
      const files = [randomBytes(6 * MiB), randomBytes(6 * MiB)];
      const ids: string[] = [];
      for (const [i, f] of files.entries()) {
        origin.file(`/big${i}.bin`, f, { throttleBytesPerSec: 4 * MiB });
        const r = await agent.api('POST', '/v1/transfers', {
          url: origin.url(`/big${i}.bin`), path: `big${i}.bin`, sha256: sha256(f), constraints: { storageNotLow: false },
        });
        expect(r.status).toBe(201);
        ids.push(r.body.id);
      }
      const seen = new Set<string>();
      await waitFor(async () => {
        for (const id of ids) for (const r of (await agent.transfer(id)).reasons) seen.add(r.code);
        return seen.has('storage-floor');
      }, 30_000, 'a download to wait under the storage floor');
      console.log(`full transfers root: reasons seen ${[...seen].join(', ')}; free ${root.freeBytes()} bytes`);
      expect(alive(agent)).toBe(true);
      for (const id of ids) expect((await agent.transfer(id)).state).not.toMatch(/failed|completed/);
      expect(sha256(readFileSync(join(agent.root, 'done.bin')))).toBe(sha256(done));

      root.unfill();
      for (const [i, id] of ids.entries()) {
        const t = await agent.waitTransfer(id, (x) => x.state === 'completed' || x.state === 'failed', 60_000, 'completion');
        expect(t.state).toBe('completed');
        expect(sha256(readFileSync(join(agent.root, `big${i}.bin`)))).toBe(sha256(files[i]!));
      }
      expect(readdirSync(agent.root).filter((f) => f.endsWith('.ferry-part'))).toEqual([]);
    } finally {
      await stop(agent, state, root);
    }
  }, 120_000);

  it('a full state folder: POST answers 507 STORAGE_FULL, work waits with state-storage-full, nothing exits, all resumes', async () => {
    const { agent, state, root } = agentOn(3 * MiB, 64 * MiB);
    try {
      await agent.start();
      const done = randomBytes(1 * MiB);
      origin.file('/sdone.bin', done);
      const first = await agent.api('POST', '/v1/transfers', { url: origin.url('/sdone.bin'), path: 'sdone.bin' });
      await agent.waitTransfer(first.body.id, (t) => t.state === 'completed');

      const file = randomBytes(12 * MiB);
      origin.file('/during.bin', file, { throttleBytesPerSec: 2 * MiB });
      const running = await agent.api('POST', '/v1/transfers', { url: origin.url('/during.bin'), path: 'during.bin', sha256: sha256(file) });
      await agent.waitTransfer(running.body.id, (t) => t.state === 'running' && t.bytesTransferred > 0, 20_000, 'the download to run');

      state.fill(0);
      const statuses = new Map<number, number>();
      let refused: any = null;
      for (let i = 0; i < 300 && !refused; i++) {
        const r = await agent.api('POST', '/v1/transfers', { url: origin.url('/sdone.bin'), path: `more/${i}.bin`, tag: 'x'.repeat(1000), constraints: { storageNotLow: false } });
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status !== 201) refused = r;
      }
      console.log(`full state folder: POST answers ${JSON.stringify(Object.fromEntries(statuses))}`);
      expect(refused?.status).toBe(507);
      expect(refused?.body.error.code).toBe('STORAGE_FULL');
      const waiting = await agent.waitTransfer(running.body.id, (t) => t.reasons.some((r: any) => r.code === 'state-storage-full'), 20_000, 'state-storage-full');
      expect(waiting.lastError?.code ?? null).not.toBe('NETWORK_ERROR');
      const pause = await agent.api('POST', `/v1/transfers/${running.body.id}/pause`);
      expect([200, 503, 507]).toContain(pause.status); // never 500 INTERNAL
      if (pause.status !== 200) expect(pause.body.error.code).toMatch(/^STORAGE_/);
      expect(alive(agent)).toBe(true);
      expect(agent.logs).not.toMatch(/"level":60|uncaught|SqliteError:/i);

      state.unfill();
      if (pause.status === 200 || (await agent.transfer(running.body.id)).state === 'paused') await agent.api('POST', `/v1/transfers/${running.body.id}/resume`);
      const t = await agent.waitTransfer(running.body.id, (x) => x.state === 'completed' || x.state === 'failed', 60_000, 'completion after space returned');
      expect(t.state).toBe('completed');
      expect(sha256(readFileSync(join(agent.root, 'during.bin')))).toBe(sha256(file));
      // What was held in memory while the disk was full is on disk now: a SIGKILL loses none of it.
      await agent.kill('SIGKILL');
      await agent.start();
      expect((await agent.transfer(running.body.id)).state).toBe('completed');
      expect(sha256(readFileSync(join(agent.root, 'sdone.bin')))).toBe(sha256(done));
    } finally {
      await stop(agent, state, root);
    }
  }, 120_000);

  it('a truncated database on the state tmpfs is moved aside and the agent starts', async () => {
    const { agent, state, root } = agentOn(8 * MiB, 8 * MiB);
    try {
      await agent.start();
      for (let i = 0; i < 50; i++) await agent.api('POST', '/v1/transfers', { url: origin.url('/nowhere'), path: `q/${i}`, tag: 'y'.repeat(1000), preferences: 'none', constraints: { storageNotLow: false } });
      await agent.kill('SIGTERM'); // a clean stop folds the WAL into ferry.db
      const db = join(agent.dir.path, 'state', 'ferry.db');
      const bytes = readFileSync(db);
      writeFileSync(db, bytes.subarray(0, Math.max(4096 + 1, Math.floor(bytes.length / 3))));
      await agent.start();
      expect(readdirSync(join(agent.dir.path, 'state')).some((f) => f.startsWith('ferry.db.corrupt-'))).toBe(true);
      expect(alive(agent)).toBe(true);
    } finally {
      await stop(agent, state, root);
    }
  }, 60_000);
});
