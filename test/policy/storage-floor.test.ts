// The hard storage floor and the state database's health: no client constraint lifts them.
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import type { StorageFloor } from '../../src/conditions/snapshot.js';
import { decide } from '../../src/policy/decide.js';
import { conditions, MiB, NOW, transfer } from './fixtures.js';

const policy = defaultConfig().policy;
const floor = (f: Partial<StorageFloor>): StorageFloor => ({
  floorBytes: 64 * MiB,
  stateFreeBytes: 1000 * MiB,
  transfersFreeBytes: 1000 * MiB,
  stateWriteError: null,
  ...f,
});

describe('storage floor', () => {
  it('holds a download under the floor on the transfers file system even with storageNotLow: false', () => {
    const d = decide(transfer({ constraints: { storageNotLow: false } }), conditions({ storage: { floor: floor({ transfersFreeBytes: 10 * MiB }) } }), policy, NOW);
    expect(d).toMatchObject({ action: 'wait', reasons: [{ code: 'storage-floor' }] });
    expect((d as { reasons: Array<{ message: string }> }).reasons[0]!.message).toMatch(/transfers file system has 10 MB free, under the 64 MB floor/);
  });

  it('lets an upload run when only the transfers file system is under the floor', () => {
    expect(decide(transfer({ direction: 'upload' }), conditions({ storage: { floor: floor({ transfersFreeBytes: 10 * MiB }) } }), policy, NOW)).toEqual({ action: 'run' });
  });

  it('holds every kind of job under the floor on the state file system', () => {
    for (const t of [transfer({ direction: 'upload' }), transfer({ kind: 'device-sync' })]) {
      expect(decide(t, conditions({ storage: { floor: floor({ stateFreeBytes: 63 * MiB }) } }), policy, NOW)).toMatchObject({
        action: 'wait',
        reasons: [{ code: 'storage-floor' }],
      });
    }
  });

  it('holds everything while the state database refuses writes, and runs once they succeed', () => {
    const c = (e: StorageFloor['stateWriteError']) => conditions({ storage: { floor: floor({ stateWriteError: e }) } });
    expect(decide(transfer({ userInitiated: true }), c('STORAGE_FULL'), policy, NOW)).toMatchObject({ action: 'wait', reasons: [{ code: 'state-storage-full' }] });
    expect(decide(transfer(), c('STORAGE_ERROR'), policy, NOW)).toMatchObject({ reasons: [{ message: expect.stringMatching(/I\/O error/) }] });
    expect(decide(transfer(), c(null), policy, NOW)).toEqual({ action: 'run' });
  });

  it('a floor of 0 or an unmeasurable file system holds nothing', () => {
    expect(decide(transfer(), conditions({ storage: { floor: floor({ floorBytes: 0, stateFreeBytes: 0, transfersFreeBytes: 0 }) } }), policy, NOW)).toEqual({ action: 'run' });
    expect(decide(transfer(), conditions({ storage: { floor: floor({ stateFreeBytes: null, transfersFreeBytes: null }) } }), policy, NOW)).toEqual({ action: 'run' });
  });
});
