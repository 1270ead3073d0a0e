// The queue's record copy lists HTTP job fields one by one (for speed): a field added to the model and
// forgotten there would silently vanish on the first change. `Required<HttpJob>` makes this fixture name
// every field the type has, so the check fails as soon as the two differ.
import { describe, expect, it } from 'vitest';
import type { DeviceJob, HttpJob } from '../../src/model/job.js';
import { changedRecord } from '../../src/queue/job-record.js';
import { record } from '../support/records.js';

const full: Required<HttpJob> = {
  ...record('j1', 'alice', {
    sha256: 'a'.repeat(64), periodicMinutes: 60, tag: 't', window: 'night', state: 'waiting',
    reasons: [{ code: 'metered', message: 'm' }], bytesTransferred: 5, totalBytes: 10, attempts: 2,
    error: { code: 'E', message: 'e' }, lastError: { code: 'L', message: 'l' }, warnings: [{ code: 'W', message: 'w' }],
    resume: { etag: '"x"' }, nextAttemptAt: '2026-01-01T00:00:00.000Z', seq: 7, headers: { 'x-a': 'b' }, protocol: 'tus',
  }),
  access: { uid: 1000, folder: 'alice' },
};

describe('changedRecord', () => {
  it('keeps every field of an HTTP job, applies the change, stamps state, seq and time', () => {
    const next = changedRecord(full, { bytesTransferred: 9, reasons: [] }, { state: 'running', seq: 8, updatedAt: 'now' });
    expect(Object.keys(next).sort()).toEqual(Object.keys(full).sort());
    expect(next).toEqual({ ...full, bytesTransferred: 9, reasons: [], state: 'running', seq: 8, updatedAt: 'now' });
    expect(next).not.toBe(full);
    expect(full.bytesTransferred).toBe(5); // the old record is not changed
  });

  it('never takes identity or the stamped fields from a change', () => {
    const change = { id: 'other', kind: 'device-sync', owner: 'mallory', createdAt: 'x', state: 'completed', seq: 99, updatedAt: 'y' } as unknown as Partial<HttpJob>;
    const next = changedRecord(full, change, { state: 'waiting', seq: 8, updatedAt: 'now' });
    expect(next).toMatchObject({ id: 'j1', kind: 'http', owner: 'alice', createdAt: full.createdAt, state: 'waiting', seq: 8, updatedAt: 'now' });
  });

  it('copies a device job whole', () => {
    const { protocol: _p, headers: _h, ...rest } = full;
    const dev: DeviceJob = { ...rest, kind: 'device-sync', device: { id: 'd1', op: 'pull', remote: '/lfs/a', item: {} as DeviceJob['device']['item'] } };
    const next = changedRecord(dev, { attempts: 3 }, { state: 'running', seq: 8, updatedAt: 'now' });
    expect(next).toEqual({ ...dev, attempts: 3, state: 'running', seq: 8, updatedAt: 'now' });
  });
});
