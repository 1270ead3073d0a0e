// The transfer policy of POLICY.md §3 as one pure function: given a transfer, the conditions, the config
// and the time, say run, wait (with every reason that holds) or fail. No I/O, no clock reads; cheap enough
// to re-decide every queued transfer on each change of conditions (allocates only the result).
import type { Config } from '../config/schema.js';
import type { Conditions } from '../conditions/snapshot.js';
import type { Preferences, Reason, TransferRecord } from '../model/transfer.js';
import { reason } from './reasons.js';
import { allowsBattery, allowsCellular, failReason, sizeLowerBound, withoutCellular } from './size-rules.js';
import { storageFloorReason } from './storage-floor.js';

export { compareForRun, selectToRun, type RunOrderFields } from './run-order.js';
export { checkEnqueue } from './size-rules.js';

export type PolicyConfig = Config['policy'];

/** Progress of a running attempt. `bytes` are cumulative counts (any origin), samples oldest first. */
export interface RunStats {
  startedAtMs: number;
  samples: Array<{ atMs: number; bytes: number }>;
}

export type PolicyTransfer = Pick<
  TransferRecord,
  | 'kind'
  | 'direction'
  | 'totalBytes'
  | 'bytesTransferred'
  | 'preferences'
  | 'constraints'
  | 'userInitiated'
  | 'expedited'
  | 'nextAttemptAt'
  | 'state'
  | 'createdAt'
> & {
  /** Device-sync jobs: the device they need (`id`); absent for HTTP transfers. */
  device?: TransferRecord['device'];
};

export type Decision =
  | { action: 'run' }
  /** `switchPreferences`: the policy narrowed the preferences (large download on cellular); record it. */
  | { action: 'wait'; reasons: Reason[]; switchPreferences?: Preferences }
  | { action: 'fail'; reason: Reason };

const RUN: Decision = Object.freeze({ action: 'run' }) as Decision;
// Reasons without parameters are shared frozen objects: built once here, not looked up per transfer.
const NO_NETWORK = reason('no-network');
const ROAMING = reason('roaming');
const SLOW_2G = reason('slow-network-2g');
const OVER_PLAN = reason('over-data-plan');
const NEEDS_WIFI = reason('needs-wifi');
const METERED = reason('metered');
const UNKNOWN_SIZE = reason('unknown-size');
const NEEDS_POWER = reason('needs-external-power');
const NEEDS_CHARGING = reason('needs-charging');
const DEVICE_DISCONNECTED = reason('device-disconnected');

function add(list: Reason[] | null, r: Reason): Reason[] {
  if (list === null) return [r];
  list.push(r);
  return list;
}

/**
 * Decides one transfer. `run` is given for a transfer that is running now (slow-transfer and execution
 * window checks); `othersWaiting` says whether runnable work is held by the concurrency limit.
 * Reasons come in a fixed order: network, size, power, constraints, backoff, running checks.
 */
export function decide(
  t: PolicyTransfer,
  c: Conditions,
  p: PolicyConfig,
  now: number,
  run?: RunStats,
  othersWaiting = false,
): Decision {
  const http = t.kind !== 'device-sync';
  if (http) {
    const fail = failReason(t, p);
    if (fail !== null) return { action: 'fail', reason: fail };
  }
  let reasons: Reason[] | null = null;
  let switchPreferences: Preferences | undefined;
  const prefs = t.preferences;
  const onBattery = c.power.source === 'battery';
  const size = sizeLowerBound(t);
  const net = c.network.kind;

  // Network rules: HTTP only. A device-sync job talks to a local device, not the network (§6).
  if (http) {
    if (net === 'none') {
      reasons = add(reasons, NO_NETWORK);
    } else {
      if (net === 'cellular') {
        // Roaming and the data plan concern the cellular link only, and only while it is the active one.
        if (c.network.roaming && !(t.userInitiated && p.roamingAllowUserInitiated)) {
          reasons = add(reasons, ROAMING);
        }
        if (p.slow2gUserInitiatedOnly && c.network.generation === '2g' && !t.userInitiated) {
          reasons = add(reasons, SLOW_2G);
        }
        if (c.dataPlan.state === 'over' && !t.userInitiated) reasons = add(reasons, OVER_PLAN);
        if (t.direction === 'download' && size > p.downloadCaps.cellularBytes) {
          // WP8: the preferences change so the download needs Wi-Fi. Only cellular is taken away, so a
          // client's demand for external power survives (allowCellular → none, not → allowBattery).
          if (allowsCellular(prefs)) switchPreferences = withoutCellular(prefs);
          reasons = add(reasons, reason('needs-wifi', { sizeBytes: size, capBytes: p.downloadCaps.cellularBytes }));
        } else if (!allowsCellular(prefs)) {
          reasons = add(reasons, NEEDS_WIFI);
        }
        if (t.direction === 'upload' && size > p.uploadCaps.cellularBytes) {
          reasons = add(reasons, reason('too-large-for-cellular', { sizeBytes: size, capBytes: p.uploadCaps.cellularBytes }));
        }
      }
      if (t.constraints.unmetered && c.network.metered) reasons = add(reasons, METERED);
      // Unknown size: possibly large, so only under the conditions of preferences "none".
      if (t.totalBytes === null && p.unknownSize !== 'allow' && (net === 'cellular' || onBattery)) {
        reasons = add(reasons, UNKNOWN_SIZE);
      }
    }
  }

  // Device presence: a device-sync job waits while its (known) device is not there (§6).
  if (!http && c.devices !== undefined && t.device) {
    const id = t.device.id;
    const presence = typeof id === 'string' ? c.devices[id] : undefined;
    if (presence !== undefined && !presence.present) reasons = add(reasons, DEVICE_DISCONNECTED);
  }

  // Power and storage: every kind of job.
  if (onBattery && !allowsBattery(prefs)) reasons = add(reasons, NEEDS_POWER);
  if (http && onBattery && t.direction === 'upload' && size > p.uploadCaps.batteryBytes) {
    reasons = add(reasons, reason('too-large-for-battery', { sizeBytes: size, capBytes: p.uploadCaps.batteryBytes }));
  }
  const cs = t.constraints;
  // "charging" as Android means it: plugged in. A mains-only gateway never reports charging but is plugged in.
  if (cs.charging && onBattery && !c.power.charging) reasons = add(reasons, NEEDS_CHARGING);
  if (cs.batteryNotLow && onBattery && !c.power.charging) {
    const pct = c.power.batteryPercent;
    if (pct !== null && pct <= p.batteryLowPercent) {
      reasons = add(reasons, reason('battery-low', { batteryPercent: pct, thresholdPercent: p.batteryLowPercent }));
    }
  }
  if (cs.storageNotLow && c.storage.low) reasons = add(reasons, reason('storage-low', { freeBytes: c.storage.freeBytes }));
  const floor = storageFloorReason(t, c.storage.floor);
  if (floor !== null) reasons = add(reasons, floor);

  if (t.nextAttemptAt !== null) {
    const until = Date.parse(t.nextAttemptAt);
    if (until > now) reasons = add(reasons, reason('backoff-until', { untilIso: t.nextAttemptAt }));
  }

  if (run !== undefined && http) {
    const elapsedMs = now - run.startedAtMs;
    if (net !== 'none') {
      const slow = slowTransfer(run, now, elapsedMs, net === 'cellular', p);
      if (slow !== null) reasons = add(reasons, slow);
    }
    // User-initiated work is never interrupted for fairness; device sessions have their own budget (§6).
    if (othersWaiting && !t.userInitiated && elapsedMs >= p.executionWindowS * 1000) {
      reasons = add(reasons, reason('window-exhausted', { windowS: p.executionWindowS }));
    }
  }

  if (reasons === null) return RUN;
  return switchPreferences === undefined ? { action: 'wait', reasons } : { action: 'wait', reasons, switchPreferences };
}

/**
 * Rate over the last full window, from the newest sample at or before its start to the newest sample,
 * divided by the time up to `now` (a stall since the last sample counts as zero bytes). Judged only
 * once the attempt has run a full window, so a slow TCP start does not trip it.
 */
function slowTransfer(run: RunStats, now: number, elapsedMs: number, cellular: boolean, p: PolicyConfig): Reason | null {
  const windowMs = p.slowTransfer.windowS * 1000;
  if (elapsedMs < windowMs) return null;
  const floor = cellular ? p.slowTransfer.cellularBitsPerS : p.slowTransfer.otherBitsPerS;
  if (floor <= 0) return null;
  const samples = run.samples;
  const last = samples[samples.length - 1];
  if (last === undefined) return null;
  const windowStart = now - windowMs;
  let base = -1;
  for (let i = samples.length - 1; i >= 0; i--) {
    if (samples[i]!.atMs <= windowStart) {
      base = i;
      break;
    }
  }
  if (base < 0) return null; // no sample old enough: nothing to measure the window against
  const from = samples[base]!;
  const spanMs = now - from.atMs;
  const rate = ((last.bytes - from.bytes) * 8 * 1000) / spanMs;
  if (rate >= floor) return null;
  return reason('slow-transfer', {
    rateBitsPerS: rate,
    floorBitsPerS: floor,
    windowS: p.slowTransfer.windowS,
    network: cellular ? 'cellular' : 'Wi-Fi or Ethernet',
  });
}
