// The hard storage floor (issue 9): under `floorBytes` free on the state file system nothing runs (every
// job writes checkpoints there), under it on the transfers file system no download runs; and while the
// state database refuses writes nothing runs. Clients cannot switch this off (unlike storageNotLow). Pure.
import type { StorageFloor } from '../conditions/snapshot.js';
import type { JobBase, Reason } from '../model/job.js';
import { reason } from './reasons.js';
import type { Rule } from './rule.js';

export function storageFloorReason(t: Pick<JobBase, 'direction'>, f: StorageFloor | undefined): Reason | null {
  if (f === undefined) return null;
  if (f.stateWriteError !== null) return reason('state-storage-full', { errorCode: f.stateWriteError });
  if (f.stateFreeBytes !== null && f.stateFreeBytes < f.floorBytes) {
    return reason('storage-floor', { fileSystem: 'state', freeBytes: f.stateFreeBytes, capBytes: f.floorBytes });
  }
  if (t.direction === 'download' && f.transfersFreeBytes !== null && f.transfersFreeBytes < f.floorBytes) {
    return reason('storage-floor', { fileSystem: 'transfers', freeBytes: f.transfersFreeBytes, capBytes: f.floorBytes });
  }
  return null;
}

/** The floor as a rule of every kind of job (decide.ts lists it after the client's constraints). */
export const storageFloor: Rule = (t, { c }, out) => {
  const r = storageFloorReason(t, c.storage.floor);
  if (r !== null) out.push(r);
};
