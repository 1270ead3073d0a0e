// The one policy rule device sync adds: a device-sync job whose device is known and absent waits with
// device-disconnected; an unknown device, a present one and HTTP transfers are not affected.
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/policy/decide.js';
import { defaultConfig } from '../../src/config/load.js';
import { conditions, NOW, transfer } from '../policy/fixtures.js';

const policy = defaultConfig().policy;
const job = transfer({ kind: 'device-sync', device: { id: 'gps', op: 'pull' } });
const withDevices = (devices: Record<string, { present: boolean; transport: string }>) => ({ ...conditions(), devices });

describe('device presence in decide()', () => {
  it('holds a device-sync job with device-disconnected while its device is absent', () => {
    const d = decide(job, withDevices({ gps: { present: false, transport: 'serial' } }), policy, NOW);
    expect(d).toEqual({ action: 'wait', reasons: [{ code: 'device-disconnected', message: 'waits for the device to connect' }] });
  });

  it('runs it when the device is present, unknown to the snapshot, or presence is not tracked', () => {
    expect(decide(job, withDevices({ gps: { present: true, transport: 'serial' } }), policy, NOW)).toEqual({ action: 'run' });
    expect(decide(job, withDevices({ other: { present: false, transport: 'ble' } }), policy, NOW)).toEqual({ action: 'run' });
    expect(decide(job, conditions(), policy, NOW)).toEqual({ action: 'run' });
  });

  it('stops a running job when its device goes away', () => {
    const run = { startedAtMs: NOW - 5000, samples: [{ atMs: NOW - 5000, bytes: 0 }] };
    const d = decide(job, withDevices({ gps: { present: false, transport: 'serial' } }), policy, NOW, run);
    expect(d.action).toBe('wait');
  });

  it('keeps power and storage rules for device jobs, and ignores devices for HTTP transfers', () => {
    const lowStorage = { ...withDevices({ gps: { present: false, transport: 'serial' } }), storage: { freeBytes: 1, low: true } };
    const d = decide({ ...job, constraints: { ...job.constraints, storageNotLow: true } }, lowStorage, policy, NOW);
    expect(d.action === 'wait' && d.reasons.map((r) => r.code)).toEqual(['device-disconnected', 'storage-low']);
    const http = transfer({ device: { id: 'gps' } });
    expect(decide(http, withDevices({ gps: { present: false, transport: 'serial' } }), policy, NOW)).toEqual({ action: 'run' });
  });
});
