import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createSysfsFixture, type SysfsFixture } from '../support/sysfs.js';
import { makeTempDir } from '../support/tmp.js';
import { captureLog } from './log-capture.js';
import { counterDelta, createDataPlanTracker, periodStart, planState, type DataPlanTracker } from '../../src/conditions/data-plan.js';
import { createUsageStore, type UsageStore } from '../../src/queue/usage-store.js';

const U32 = 2 ** 32;

describe('data-plan arithmetic', () => {
  it('tells a 32-bit wrap from a counter reset', () => {
    expect(counterDelta(1000, 1500, false)).toBe(500);
    expect(counterDelta(U32 - 100, 50, false)).toBe(150); // wrapped
    expect(counterDelta(U32 - 100, 3_000_000_000, false)).toBe(3_000_000_000); // too much for a wrap: reset
    expect(counterDelta(U32 + 5000, 700, false)).toBe(700); // a 64-bit counter went down: reset
    expect(counterDelta(5000, 9000, true)).toBe(9000); // new boot: everything since boot is new
  });

  it('finds the start of the plan period, clamping the reset day to short months', () => {
    const at = (y: number, m: number, d: number) => new Date(y, m - 1, d, 12).getTime();
    expect(periodStart(at(2024, 3, 10), 1)).toBe('2024-03-01');
    expect(periodStart(at(2024, 3, 10), 15)).toBe('2024-02-15');
    expect(periodStart(at(2024, 3, 15), 15)).toBe('2024-03-15');
    expect(periodStart(at(2024, 2, 29), 31)).toBe('2024-02-29');
    expect(periodStart(at(2024, 2, 28), 31)).toBe('2024-01-31');
    expect(periodStart(at(2024, 1, 15), 20)).toBe('2023-12-20');
  });

  it('is approaching from approachingPercent and over at the allowance', () => {
    expect(planState(899, 1000, 90)).toBe('ok');
    expect(planState(900, 1000, 90)).toBe('approaching');
    expect(planState(1000, 1000, 90)).toBe('over');
    expect(planState(0, 0, 90)).toBe('over');
  });
});

describe('data-plan tracker with SQLite', () => {
  let fx: SysfsFixture;
  let dir: ReturnType<typeof makeTempDir>;
  let db: Database.Database;
  let usage: UsageStore;
  let t: number;
  const config = { interfaces: { wwan0: { monthlyBytes: 1_000_000, resetDay: 1 } }, approachingPercent: 90 };

  function open(): void {
    db = new Database(join(dir.path, 'ferry.db'));
    usage = createUsageStore(db);
  }
  function tracker(bootId: string, persistEveryMs = 0): DataPlanTracker {
    return createDataPlanTracker({ sysfsRoot: fx.root, config, usage, bootId, log: captureLog().log, now: () => t, persistEveryMs });
  }

  beforeEach(() => {
    fx = createSysfsFixture();
    fx.addNet('wwan0', { kind: 'wwan', rx: 7_000_000, tx: 1_000_000, ifindex: 5 });
    dir = makeTempDir();
    open();
    t = new Date(2024, 4, 10, 12).getTime();
  });
  afterEach(() => {
    db.close();
    dir.cleanup();
    fx.cleanup();
  });

  it('counts from the first sample, then adds rx+tx deltas up to approaching and over', async () => {
    const tr = tracker('boot-a');
    await tr.sample();
    expect(tr.state('wwan0')).toEqual({ state: 'ok', usedBytes: 0, limitBytes: 1_000_000, interface: 'wwan0' });
    fx.setCounters('wwan0', 7_400_000, 1_100_000);
    await tr.sample();
    expect(tr.state('wwan0')?.usedBytes).toBe(500_000);
    fx.setCounters('wwan0', 7_800_000, 1_100_000);
    await tr.sample();
    expect(tr.state('wwan0')).toMatchObject({ state: 'approaching', usedBytes: 900_000 });
    fx.setCounters('wwan0', 7_900_000, 1_100_000);
    await tr.sample();
    expect(tr.state('wwan0')).toMatchObject({ state: 'over', usedBytes: 1_000_000 });
    expect(tr.state('eth0')).toBeNull();
  });

  it('keeps usage across an agent restart and a reboot that resets the counters', async () => {
    let tr = tracker('boot-a');
    await tr.sample();
    fx.setCounters('wwan0', 7_100_000, 1_100_000); // +200k
    await tr.sample();
    db.close();

    // Agent restarts in the same boot; traffic moved on while it was down.
    open();
    fx.setCounters('wwan0', 7_150_000, 1_100_000); // +50k
    tr = tracker('boot-a');
    await tr.sample();
    expect(tr.state('wwan0')?.usedBytes).toBe(250_000);
    db.close();

    // Reboot: counters start from zero; everything they show now is new traffic.
    open();
    fx.setCounters('wwan0', 30_000, 10_000);
    tr = tracker('boot-b');
    await tr.sample();
    expect(tr.state('wwan0')?.usedBytes).toBe(290_000);
    expect(usage.get('wwan0')).toMatchObject({ usedBytes: 290_000, lastRx: 30_000, lastTx: 10_000, bootId: 'boot-b' });
  });

  it('takes a re-created interface (new ifindex, counters down) as a reset, not as a wrap', async () => {
    const tr = tracker('boot-a');
    fx.setCounters('wwan0', 100_000, 0);
    await tr.sample();
    fx.setIfindex('wwan0', 9);
    fx.setCounters('wwan0', 40_000, 2_000);
    await tr.sample();
    expect(tr.state('wwan0')?.usedBytes).toBe(42_000);
  });

  it('adds across a 32-bit counter wrap', async () => {
    const tr = tracker('boot-a');
    fx.setCounters('wwan0', U32 - 10_000, 0);
    await tr.sample();
    fx.setCounters('wwan0', 5_000, 0);
    await tr.sample();
    expect(tr.state('wwan0')?.usedBytes).toBe(15_000);
  });

  it('starts a new period from zero on the reset day', async () => {
    const tr = tracker('boot-a');
    await tr.sample();
    fx.setCounters('wwan0', 7_950_000, 1_000_000);
    await tr.sample();
    expect(tr.state('wwan0')?.state).toBe('approaching');
    t = new Date(2024, 5, 1, 12).getTime(); // 1 June: a new period
    expect(tr.state('wwan0')).toMatchObject({ state: 'ok', usedBytes: 0 });
    fx.setCounters('wwan0', 7_960_000, 1_000_000);
    await tr.sample();
    expect(tr.state('wwan0')?.usedBytes).toBe(10_000);
    expect(usage.get('wwan0')?.periodStart).toBe('2024-06-01');
  });

  it('spaces writes by persistEveryMs and loses nothing thanks to the stored counter base', async () => {
    const tr = tracker('boot-a', 60_000);
    await tr.sample();
    for (let i = 1; i <= 3; i++) {
      t += 5000;
      fx.setCounters('wwan0', 7_000_000 + i * 1000, 1_000_000);
      await tr.sample();
    }
    expect(tr.state('wwan0')?.usedBytes).toBe(3000);
    expect(usage.get('wwan0')?.usedBytes).toBe(0); // not yet written
    tr.flush();
    expect(usage.get('wwan0')?.usedBytes).toBe(3000);

    // A crash before a write is harmless: the next run folds from the stored counters.
    fx.setCounters('wwan0', 7_010_000, 1_000_000);
    const again = tracker('boot-a', 60_000);
    await again.sample();
    expect(again.state('wwan0')?.usedBytes).toBe(10_000);
  });

  it('keeps the last usage while the interface is gone (modem unplugged)', async () => {
    const tr = tracker('boot-a');
    await tr.sample();
    fx.setCounters('wwan0', 7_000_500, 1_000_000);
    await tr.sample();
    fx.removeNet('wwan0');
    await tr.sample();
    expect(tr.state('wwan0')?.usedBytes).toBe(500);
  });
});
