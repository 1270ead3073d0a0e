// The request-side rules of POLICY.md §2 (preferences, constraints), enqueue checks and the edges of §3:
// cap boundaries, downloads that grow, unknown sizes, every reason at once, and device-sync jobs.
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import type { Preferences } from '../../src/model/job.js';
import { checkEnqueue, decide, type Decision, type RunStats } from '../../src/policy/decide.js';
import { battery, cellular, conditions, MiB, NOW, transfer, wifi, type ConditionsPatch, type TransferPatch } from './fixtures.js';

const policy = defaultConfig().policy;

function codes(t: TransferPatch, c: ConditionsPatch = {}, run?: RunStats, othersWaiting = false): string[] | 'run' | string {
  const d: Decision = decide(transfer(t), conditions(c), policy, NOW, run, othersWaiting);
  if (d.action === 'run') return 'run';
  if (d.action === 'fail') return `fail:${d.reason.code}`;
  return d.reasons.map((r) => r.code);
}

describe('preferences (WP8 TransferPreferences)', () => {
  const table: Array<[Preferences, ConditionsPatch, string[] | 'run']> = [
    ['none', { network: wifi }, 'run'],
    ['none', { network: wifi, power: battery() }, ['needs-external-power']],
    ['none', { network: cellular() }, ['needs-wifi']],
    ['none', { network: cellular(), power: battery() }, ['needs-wifi', 'needs-external-power']],
    ['allowCellular', { network: cellular() }, 'run'],
    ['allowCellular', { network: cellular(), power: battery() }, ['needs-external-power']],
    ['allowBattery', { network: wifi, power: battery() }, 'run'],
    ['allowBattery', { network: cellular() }, ['needs-wifi']],
    ['allowCellularAndBattery', { network: cellular(), power: battery() }, 'run'],
  ];
  it.each(table)('%s under %j → %j', (preferences, c, expected) => {
    expect(codes({ preferences }, c)).toEqual(expected);
  });
});

describe('constraints (Android)', () => {
  it('charging holds work on battery unless it charges; external power counts as plugged in', () => {
    expect(codes({ constraints: { charging: true } }, { power: battery(60) })).toEqual(['needs-charging']);
    expect(codes({ constraints: { charging: true } }, { power: battery(60, true) })).toBe('run');
    expect(codes({ constraints: { charging: true } }, { power: { source: 'external', charging: false } })).toBe('run');
  });

  it('batteryNotLow holds at or under the threshold, not above it or while charging', () => {
    expect(codes({ constraints: { batteryNotLow: true } }, { power: battery(15) })).toEqual(['battery-low']);
    expect(codes({ constraints: { batteryNotLow: true } }, { power: battery(16) })).toBe('run');
    expect(codes({ constraints: { batteryNotLow: true } }, { power: battery(5, true) })).toBe('run');
    expect(codes({ constraints: { batteryNotLow: true } }, { power: { source: 'battery', batteryPercent: null } })).toBe('run');
  });

  it('storageNotLow holds while storage is low; without it low storage does not', () => {
    expect(codes({ constraints: { storageNotLow: true } }, { storage: { low: true, freeBytes: 10 * MiB } })).toEqual(['storage-low']);
    expect(codes({}, { storage: { low: true } })).toBe('run');
  });
});

describe('no network, backoff and all reasons at once', () => {
  it('with no network it says so and skips the rules of a network it does not have', () => {
    expect(codes({ totalBytes: null, preferences: 'none' }, { network: { kind: 'none', interface: null } })).toEqual(['no-network']);
  });

  it('lists every reason that holds, in a stable order', () => {
    const c: ConditionsPatch = {
      network: cellular({ generation: '2g', roaming: true }),
      power: battery(10),
      dataPlan: { state: 'over' },
      storage: { low: true },
    };
    const t: TransferPatch = {
      preferences: 'none',
      totalBytes: null,
      constraints: { unmetered: true, charging: true, batteryNotLow: true, storageNotLow: true },
      nextAttemptAt: new Date(NOW + 1000).toISOString(),
    };
    expect(codes(t, c)).toEqual([
      'roaming',
      'slow-network-2g',
      'over-data-plan',
      'needs-wifi',
      'metered',
      'unknown-size',
      'needs-external-power',
      'needs-charging',
      'battery-low',
      'storage-low',
      'backoff-until',
    ]);
  });

  it('a backoff that ended, or an unreadable time, does not hold', () => {
    expect(codes({ nextAttemptAt: new Date(NOW - 1).toISOString() })).toBe('run');
    expect(codes({ nextAttemptAt: 'not a time' })).toBe('run');
  });

  it('backoff-until carries the time in its message', () => {
    const d = decide(transfer({ nextAttemptAt: '2025-03-01T12:05:00.000Z' }), conditions(), policy, NOW);
    expect(d).toEqual({
      action: 'wait',
      reasons: [{ code: 'backoff-until', message: 'waits until 2025-03-01T12:05:00.000Z before the next attempt (backoff)' }],
    });
  });
});

describe('cap boundaries', () => {
  const up = (bytes: number, preferences: Preferences = 'allowCellularAndBattery'): TransferPatch => ({
    direction: 'upload',
    totalBytes: bytes,
    preferences,
  });
  it('each upload cap allows exactly its size and holds one byte more', () => {
    expect(codes(up(5 * MiB), { network: cellular() })).toBe('run');
    expect(codes(up(5 * MiB + 1), { network: cellular() })).toEqual(['too-large-for-cellular']);
    expect(codes(up(20 * MiB), { network: wifi, power: battery() })).toBe('run');
    expect(codes(up(20 * MiB + 1), { network: wifi, power: battery() })).toEqual(['too-large-for-battery']);
    expect(codes(up(100 * MiB))).toBe('run');
    expect(codes(up(100 * MiB + 1))).toBe('fail:too-large-for-any-cap');
  });
  it('each download cap allows exactly its size', () => {
    const both: Preferences = 'allowCellularAndBattery';
    expect(codes({ totalBytes: 20 * MiB, preferences: both }, { network: cellular() })).toBe('run');
    expect(codes({ totalBytes: 20 * MiB + 1, preferences: both }, { network: cellular() })).toEqual(['needs-wifi']);
    expect(codes({ totalBytes: 100 * MiB, preferences: both }, { network: wifi, power: battery() })).toBe('run');
    expect(codes({ totalBytes: 100 * MiB + 1, preferences: both })).toBe('fail:needs-preferences-none');
  });
  it('caps follow the config', () => {
    const p = { ...policy, uploadCaps: { ...policy.uploadCaps, cellularBytes: 50 * MiB } };
    const d = decide(transfer(up(30 * MiB)), conditions({ network: cellular() }), p, NOW);
    expect(d).toEqual({ action: 'run' });
  });
});

describe('downloads that grow', () => {
  const run: RunStats = { startedAtMs: NOW - 5000, samples: [{ atMs: NOW - 5000, bytes: 0 }] };
  it('a size learnt while running on cellular switches the download to need Wi-Fi', () => {
    const t = transfer({ state: 'running', totalBytes: 48 * MiB, bytesTransferred: 2 * MiB, preferences: 'allowCellularAndBattery' });
    expect(decide(t, conditions({ network: cellular() }), policy, NOW, run)).toMatchObject({
      action: 'wait',
      reasons: [{ code: 'needs-wifi' }],
      switchPreferences: 'allowBattery',
    });
  });
  it('more bytes than announced count as the size', () => {
    const t = transfer({ totalBytes: 10 * MiB, bytesTransferred: 25 * MiB, preferences: 'allowCellularAndBattery' });
    expect(decide(t, conditions({ network: cellular() }), policy, NOW)).toMatchObject({ switchPreferences: 'allowBattery' });
  });
  it('an unknown size allowed by config is still held once the bytes seen pass a cap', () => {
    const p = { ...policy, unknownSize: 'allow' as const };
    const small = transfer({ totalBytes: null, bytesTransferred: 19 * MiB, preferences: 'allowCellularAndBattery' });
    const big = transfer({ totalBytes: null, bytesTransferred: 21 * MiB, preferences: 'allowCellularAndBattery' });
    expect(decide(small, conditions({ network: cellular() }), p, NOW)).toEqual({ action: 'run' });
    expect(decide(big, conditions({ network: cellular() }), p, NOW)).toMatchObject({ action: 'wait', switchPreferences: 'allowBattery' });
    const huge = transfer({ totalBytes: null, bytesTransferred: 101 * MiB, preferences: 'allowBattery' });
    expect(decide(huge, conditions({ network: wifi }), p, NOW)).toMatchObject({ action: 'fail', reason: { code: 'needs-preferences-none' } });
  });
});

describe('checkEnqueue', () => {
  it('rejects an upload larger than every cap and accepts one that fits some', () => {
    expect(checkEnqueue(transfer({ direction: 'upload', totalBytes: 101 * MiB }), policy)?.code).toBe('too-large-for-any-cap');
    expect(checkEnqueue(transfer({ direction: 'upload', totalBytes: 100 * MiB, preferences: 'allowCellular' }), policy)).toBeNull();
  });
  it('rejects a known large download whose preferences allow battery, accepts it with none or unknown size', () => {
    expect(checkEnqueue(transfer({ totalBytes: 200 * MiB, preferences: 'allowBattery' }), policy)?.code).toBe('needs-preferences-none');
    expect(checkEnqueue(transfer({ totalBytes: 200 * MiB, preferences: 'none' }), policy)).toBeNull();
    expect(checkEnqueue(transfer({ totalBytes: null }), policy)).toBeNull();
  });
  it('never rejects a device-sync job for its size', () => {
    expect(checkEnqueue(transfer({ kind: 'device-sync', direction: 'upload', totalBytes: 5000 * MiB }), policy)).toBeNull();
  });
});

describe('device-sync jobs', () => {
  const sync = (extra: TransferPatch = {}): TransferPatch => ({ kind: 'device-sync', totalBytes: null, preferences: 'allowBattery', ...extra });
  it('ignore every network rule: no network, roaming, 2G, data plan, metered, size', () => {
    expect(codes(sync(), { network: { kind: 'none', interface: null } })).toBe('run');
    const hostile: ConditionsPatch = { network: cellular({ generation: '2g', roaming: true }), dataPlan: { state: 'over' } };
    expect(codes(sync({ totalBytes: 900 * MiB, constraints: { unmetered: true } }), hostile)).toBe('run');
  });
  it('obey power, storage and backoff', () => {
    expect(codes(sync({ preferences: 'none' }), { power: battery() })).toEqual(['needs-external-power']);
    expect(codes(sync({ constraints: { batteryNotLow: true } }), { power: battery(3) })).toEqual(['battery-low']);
    expect(codes(sync({ constraints: { storageNotLow: true } }), { storage: { low: true } })).toEqual(['storage-low']);
    expect(codes(sync({ nextAttemptAt: new Date(NOW + 60_000).toISOString() }))).toEqual(['backoff-until']);
  });
  it('are not paused as slow or for the execution window (their session budget is the sync module’s)', () => {
    const run: RunStats = { startedAtMs: NOW - 3_600_000, samples: [{ atMs: NOW - 3_600_000, bytes: 0 }] };
    expect(codes(sync({ state: 'running' }), {}, run, true)).toBe('run');
  });
});
