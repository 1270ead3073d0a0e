import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import { defaultConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { FerryError } from '../../src/errors.js';
import type { Job } from '../../src/model/job.js';
import { JobQueue } from '../../src/queue/job-queue.js';
import { TransferStore } from '../../src/queue/store.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { MutableConditions } from '../support/mutable-conditions.js';
import { makeTempDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';
import { record } from '../support/records.js';
import { ScriptedRunner } from '../support/scripted-runner.js';
import type { AttemptResult } from '../../src/scheduler/runner.js';

describe('Scheduler', () => {
  let dir: ReturnType<typeof makeTempDir>;
  let store: TransferStore;
  let cond: MutableConditions;
  let runner: ScriptedRunner;
  let sched: Scheduler | undefined;
  let cfg: Config;
  // The queue is opened when the test starts the agent's core, as main.ts does (after the records exist).
  const start = (): Scheduler => {
    const log = pino({ level: 'silent' });
    const s = new Scheduler({ queue: new JobQueue({ store, config: () => cfg, log }), conditions: cond, runners: { http: runner }, config: () => cfg, log });
    sched = s;
    s.start();
    return s;
  };
  const limits = { perClient: 25, total: 500 };

  beforeEach(() => {
    dir = makeTempDir();
    store = TransferStore.open(dir.path);
    cond = new MutableConditions();
    runner = new ScriptedRunner();
    cfg = defaultConfig();
  });
  afterEach(async () => {
    await sched?.shutdown();
    sched = undefined;
    store.close();
    dir.cleanup();
  });

  it('runs at most `concurrency` transfers and tells the others why they wait', () => {
    for (const id of ['a', 'b', 'c']) store.insert(record(id, 'x', { totalBytes: 1000 }), limits);
    const sched = start();
    expect(runner.live()).toEqual(['a', 'b']);
    expect(store.get('c')).toMatchObject({ state: 'waiting', reasons: [expect.objectContaining({ code: 'concurrency-limit' })] });
  });

  it('starts the next transfer when one completes', async () => {
    for (const id of ['a', 'b', 'c']) store.insert(record(id, 'x', { totalBytes: 1000 }), limits);
    const sched = start();
    runner.calls[0]!.finish({ outcome: 'completed', bytesTransferred: 1000, totalBytes: 1000 });
    await waitFor(() => runner.live().includes('c'), 2000, 'c to start');
    expect(store.get('a')!.state).toBe('completed');
  });

  it('pauses a running transfer when conditions stop allowing it, keeps its bytes, and resumes it when they allow again', async () => {
    store.insert(record('big', 'x', { totalBytes: 30 * 1024 * 1024 }), limits);
    const sched = start();
    expect(runner.live()).toEqual(['big']);
    runner.calls[0]!.cb.onProgress(4096, 30 * 1024 * 1024);
    cond.set((c) => {
      c.network = { kind: 'cellular', interface: 'wwan0', generation: '4g', metered: true, roaming: false };
    });
    await waitFor(() => store.get('big')!.state === 'waiting', 2000, 'pause');
    const t = store.get('big')!;
    expect(t.reasons.map((r) => r.code)).toContain('needs-wifi');
    expect(t.bytesTransferred).toBe(4096);
    cond.set((c) => {
      c.network = { kind: 'wifi', interface: 'wlan0', generation: null, metered: false, roaming: false };
    });
    await waitFor(() => runner.live().length === 1, 2000, 'restart');
    expect(store.get('big')!.state).toBe('running');
    expect(runner.calls).toHaveLength(2);
  });

  it('backs off after a transient failure and fails once attempts are used up', async () => {
    store.insert(record('r', 'x', { totalBytes: 10, retry: { backoff: 'linear', initialDelayS: 0.05, maxDelayS: 1, maxAttempts: 2 } }), limits);
    const sched = start();
    runner.calls[0]!.finish({ outcome: 'retry', error: new FerryError('HTTP_STATUS', 'HTTP 503'), retryAfterMs: null, bytesTransferred: 0 });
    await waitFor(() => store.get('r')!.state === 'waiting', 2000, 'backoff');
    expect(store.get('r')!.reasons[0]!.code).toBe('backoff-until');
    expect(store.get('r')!.lastError).toMatchObject({ code: 'HTTP_STATUS' });
    await waitFor(() => runner.calls.length === 2, 3000, 'second attempt');
    runner.calls[1]!.finish({ outcome: 'retry', error: new FerryError('HTTP_STATUS', 'HTTP 503'), retryAfterMs: null, bytesTransferred: 0 });
    await waitFor(() => store.get('r')!.state === 'failed', 2000, 'failure');
    expect(store.get('r')!.error).toMatchObject({ code: 'RETRIES_EXHAUSTED' });
  });

  it('honours a Retry-After longer than its own backoff', async () => {
    store.insert(record('ra', 'x', { totalBytes: 10, retry: { backoff: 'linear', initialDelayS: 0, maxDelayS: 0, maxAttempts: 5 } }), limits);
    const sched = start();
    const before = Date.now();
    runner.calls[0]!.finish({ outcome: 'retry', error: new FerryError('HTTP_STATUS', 'HTTP 429'), retryAfterMs: 120_000, bytesTransferred: 0 });
    await waitFor(() => store.get('ra')!.nextAttemptAt, 2000, 'nextAttemptAt');
    expect(Date.parse(store.get('ra')!.nextAttemptAt!)).toBeGreaterThanOrEqual(before + 119_000);
  });

  it('client pause stops the attempt and resume puts it back in line', async () => {
    store.insert(record('p', 'x', { totalBytes: 10 }), limits);
    const sched = start();
    expect((await sched.pause('p')).state).toBe('paused');
    expect(() => sched.resume('nope')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    sched.resume('p');
    await waitFor(() => store.get('p')!.state === 'running', 2000, 'running again');
  });

  it('cancel ends a transfer for good and a second cancel of another final state is refused', async () => {
    store.insert(record('c1', 'x', { totalBytes: 10 }), limits);
    store.insert(record('c2', 'x', { totalBytes: 10, state: 'completed' }), limits);
    const sched = start();
    await sched.cancel('c1');
    expect(store.get('c1')!.state).toBe('cancelled');
    await expect(sched.cancel('c2')).rejects.toMatchObject({ code: 'WRONG_STATE' });
  });

  it('drops the partial data of a job that ends failed or cancelled, whichever path ends it, and keeps it otherwise', async () => {
    const retry = { backoff: 'linear' as const, initialDelayS: 0, maxDelayS: 0, maxAttempts: 1 };
    store.insert(record('fails', 'x', { totalBytes: 10, retry }), limits);
    store.insert(record('done', 'x', { totalBytes: 10 }), limits);
    // Grew past every cap while it waited: the decision pass fails it without an attempt.
    const cap = cfg.policy.downloadCaps.wifiBatteryBytes;
    store.insert(record('grown', 'x', { state: 'waiting', totalBytes: cap + 1, bytesTransferred: 5, preferences: 'allowBattery' }), limits);
    cfg.policy.concurrency = 2;
    const sched = start();
    expect(store.get('grown')).toMatchObject({ state: 'failed' });
    expect(runner.live()).toEqual(['fails', 'done']);
    store.insert(record('waits', 'x', { totalBytes: 10 }), limits);
    runner.calls[0]!.finish({ outcome: 'retry', error: new FerryError('HTTP_STATUS', 'HTTP 503'), retryAfterMs: null, bytesTransferred: 4 });
    runner.calls[1]!.finish({ outcome: 'completed', bytesTransferred: 10, totalBytes: 10 });
    await waitFor(() => store.get('fails')!.state === 'failed' && store.get('done')!.state === 'completed', 2000, 'ends');
    await waitFor(() => runner.live().includes('waits'), 2000, 'third starts');
    await sched.pause('waits');
    expect(runner.discarded.sort()).toEqual(['fails', 'grown']);
    await sched.cancel('waits');
    expect(runner.discarded).toContain('waits');
    expect(runner.discarded).not.toContain('done');
  });

  it('a cancel or pause that loses the race to the attempt\'s own end answers WRONG_STATE; a delete still removes the job', async () => {
    // An attempt that finishes as the stop arrives (its last byte was already on disk): completion wins.
    const ending = {
      runAttempt: (_t: Job, signal: AbortSignal) =>
        new Promise<AttemptResult>((resolve) => signal.addEventListener('abort', () => resolve({ outcome: 'completed', bytesTransferred: 10, totalBytes: 10 }))),
    };
    const log = pino({ level: 'silent' });
    for (const id of ['c', 'p', 'd']) store.insert(record(id, 'x', { totalBytes: 10 }), limits);
    const s = new Scheduler({ queue: new JobQueue({ store, config: () => cfg, log }), conditions: cond, runners: { http: ending }, config: () => cfg, log });
    sched = s;
    cfg.policy.concurrency = 3;
    s.start();
    await expect(s.cancel('c')).rejects.toMatchObject({ code: 'WRONG_STATE', message: expect.stringMatching(/completed/) });
    expect(store.get('c')!.state).toBe('completed');
    await expect(s.pause('p')).rejects.toMatchObject({ code: 'WRONG_STATE' });
    await s.remove('d');
    expect(store.get('d')).toBeUndefined();
  });

  it('puts transfers that were running at a crash back in line on start', () => {
    store.insert(record('crashed', 'x', { totalBytes: 10, state: 'running', bytesTransferred: 5 }), limits);
    cfg.policy.concurrency = 1;
    store.insert(record('first', 'x', { totalBytes: 10, expedited: true }), limits);
    const sched = start();
    expect(runner.live()).toEqual(['first']);
    expect(store.get('crashed')).toMatchObject({ state: 'waiting', bytesTransferred: 5 });
  });

  it('records the preference switch when a download grows past the cellular cap', async () => {
    cond.set((c) => {
      c.network = { kind: 'cellular', interface: 'wwan0', generation: '4g', metered: true, roaming: false };
    });
    store.insert(record('grow', 'x', { totalBytes: null, preferences: 'allowCellularAndBattery' }), limits);
    cfg.policy.unknownSize = 'allow';
    const sched = start();
    expect(runner.live()).toEqual(['grow']);
    runner.calls[0]!.cb.onProgress(1024, 48 * 1024 * 1024);
    await waitFor(() => store.get('grow')!.state === 'waiting', 2000, 'switch');
    expect(store.get('grow')!.preferences).toBe('allowBattery');
    expect(store.get('grow')!.reasons[0]!.message).toMatch(/48 MB/);
  });

  it('while a transfer runs, reviews only it every second: a slow one is stopped and the next starts; queued jobs are not decided again meanwhile', async () => {
    let clock = Date.parse('2026-11-27T10:00:00Z');
    cfg.policy.concurrency = 1;
    for (const id of ['a', 'c']) store.insert(record(id, 'x', { totalBytes: 10 * 1024 * 1024 }), limits);
    const log = pino({ level: 'silent' });
    const queue = new JobQueue({ store, config: () => cfg, log });
    sched = new Scheduler({ queue, conditions: cond, runners: { http: runner }, config: () => cfg, log, now: () => clock });
    sched.start();
    expect(runner.live()).toEqual(['a']);
    expect(store.get('c')).toMatchObject({ state: 'waiting', reasons: [expect.objectContaining({ code: 'concurrency-limit' })] });
    // A full pass reads every job (queue.all()); the review reads only the running ones.
    const all = vi.spyOn(queue, 'all');
    const reasonsOfA: string[] = [];
    queue.subscribe((e) => {
      if (e.job.id === 'a') reasonsOfA.push(...e.job.reasons.map((r) => r.code));
    });
    clock += 30_000;
    runner.calls[0]!.cb.onProgress(1 << 20, 10 * 1024 * 1024); // fast enough so far
    await new Promise((r) => setTimeout(r, 2300));
    expect(all).not.toHaveBeenCalled();
    expect(runner.live()).toEqual(['a']);
    // 100 bytes over the next 61 s: under the floor for a whole window.
    clock += 61_000;
    runner.calls[0]!.cb.onProgress((1 << 20) + 100, 10 * 1024 * 1024);
    await waitFor(() => store.get('a')!.state === 'waiting', 3000, 'the review to stop the slow transfer');
    expect(reasonsOfA).toContain('slow-transfer'); // then it waits out a back-off
    await waitFor(() => runner.live().includes('c'), 2000, 'c to start');
  });

  it('asks the server for the size of a download held as unknown-size, once, and lets the size caps decide', async () => {
    const probes: string[] = [];
    (runner as ScriptedRunner & { probe?: unknown }).probe = async (t: Job) => {
      probes.push(t.id);
      return { totalBytes: t.id === 'small' ? 1000 : null };
    };
    cond.set((c) => {
      c.network = { kind: 'wifi', interface: 'wlan0', generation: null, metered: false, roaming: false };
      c.power = { source: 'battery', batteryPercent: 80, charging: false };
    });
    store.insert(record('small', 'x', { totalBytes: null }), limits);
    store.insert(record('mystery', 'x', { totalBytes: null }), limits);
    const sched = start();
    await waitFor(() => runner.live().includes('small'), 10_000, 'probed download to start');
    expect(store.get('small')!.totalBytes).toBe(1000);
    await waitFor(() => probes.length === 2, 10_000, 'second probe');
    sched.reconcile();
    expect(store.get('mystery')).toMatchObject({ state: 'waiting', reasons: [expect.objectContaining({ code: 'unknown-size' })] });
    expect(probes.sort()).toEqual(['mystery', 'small']);
  });
});
