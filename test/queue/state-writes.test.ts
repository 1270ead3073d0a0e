// The scheduler over a store whose disk refuses writes (SQLite capped with max_page_count, the same
// SQLITE_FULL a full state folder gives): nothing throws into an attempt, work waits with
// state-storage-full, client actions answer STORAGE_FULL, and everything resumes once writes work again.
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { TransferStore } from '../../src/queue/store.js';
import { JobQueue } from '../../src/queue/job-queue.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { guardStorage } from '../../src/system/storage-guard.js';
import type { ConditionsSource } from '../../src/conditions/snapshot.js';
import { MutableConditions } from '../support/mutable-conditions.js';
import { record } from '../support/records.js';
import { ScriptedRunner } from '../support/scripted-runner.js';
import { makeTempDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';

describe('state writes refused (SQLITE_FULL)', () => {
  let dir: ReturnType<typeof makeTempDir>;
  let store: TransferStore;
  let runner: ScriptedRunner;
  let sched: Scheduler;
  let cond: ConditionsSource;
  let cfg: Config;
  const limits = { perClient: 25, total: 500 };
  const fill = () => store.db.pragma(`max_page_count = ${store.db.pragma('page_count', { simple: true }) as number}`);
  const unfill = () => store.db.pragma('max_page_count = 1073741823');

  beforeEach(async () => {
    dir = makeTempDir();
    store = TransferStore.open(dir.path);
    runner = new ScriptedRunner();
    cfg = defaultConfig();
    cfg.conditions.storage.floorBytes = 0;
    const log = pino({ level: 'silent' });
    cond = await guardStorage(new MutableConditions(), { store, stateDir: dir.path, transfersRoot: dir.path, floorBytes: () => 0, pollMs: 50, log });
    sched = new Scheduler({ queue: new JobQueue({ store, config: () => cfg, log }), conditions: cond, runners: { http: runner }, config: () => cfg, log });
  });
  afterEach(async () => {
    await sched.shutdown();
    await cond.close();
    store.close();
    dir.cleanup();
  });

  it('waits with state-storage-full instead of failing the attempt or exiting, and resumes when writes succeed', async () => {
    store.insert(record('dl', 'x', { totalBytes: 1 << 20 }), limits);
    store.insert(record('other', 'x', { totalBytes: 1 << 20, state: 'paused' }), limits);
    sched.start();
    expect(runner.live()).toEqual(['dl']);
    fill();
    // A checkpoint that needs new pages: before the fix this threw into the engine (NETWORK_ERROR retry).
    expect(() => runner.calls[0]!.cb.onResumeState({ etag: `"${'e'.repeat(200_000)}"` })).not.toThrow();
    await waitFor(() => store.get('dl')!.state === 'waiting', 3000, 'the download to wait');
    const t = store.get('dl')!;
    expect(t.reasons.map((r) => r.code)).toEqual(['state-storage-full']);
    expect(t.lastError).toBeNull(); // not recorded as a network failure
    expect(runner.live()).toEqual([]);
    // Client actions on a record that cannot be saved answer the storage error, not INTERNAL.
    store.keep({ ...store.get('other')!, tag: 'o'.repeat(200_000) }); // its save needs new pages too
    expect(() => sched.resume('other')).toThrow(expect.objectContaining({ code: 'STORAGE_FULL' }));
    expect(() => store.insert(record('new', 'x', { tag: 'n'.repeat(200_000) }), limits)).toThrow(expect.objectContaining({ code: 'STORAGE_FULL' }));

    unfill();
    await waitFor(() => runner.live().length > 0, 3000, 'work to resume once writes succeed');
    expect(store.writeProblem()).toBeNull();
    expect(runner.live()).toContain('dl');
    // What was only in memory reached the disk.
    await sched.shutdown();
    store.close();
    const again = TransferStore.open(dir.path);
    expect(again.get('dl')!.resume.etag?.length).toBe(200_002);
    expect(again.get('other')!.state).not.toBe('paused');
    again.close();
    store = TransferStore.open(dir.path); // afterEach closes it
  });

  it('a completed attempt whose final save is refused does not crash the agent and is saved later', async () => {
    store.insert(record('dl', 'x', { totalBytes: 1000 }), limits);
    sched.start();
    fill();
    store.keep({ ...store.get('dl')!, tag: 't'.repeat(200_000) }); // the final save needs new pages
    runner.calls[0]!.finish({ outcome: 'completed', bytesTransferred: 1000, totalBytes: 1000 });
    await waitFor(() => store.get('dl')!.state === 'completed', 3000, 'completion in memory');
    expect(store.isUnsaved('dl')).toBe(true);
    unfill();
    await waitFor(() => !store.isUnsaved('dl'), 3000, 'the completion to be saved');
  });
});
