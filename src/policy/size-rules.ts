// Preferences and the size rules that no change of conditions can satisfy (POLICY.md §3, from WP8's
// transfer policies): such a transfer is rejected at enqueue when its size is known, else fails when learnt.
import type { Config } from '../config/schema.js';
import type { Preferences, Reason, Job } from '../model/job.js';
import { reason } from './reasons.js';

type SizeFields = Pick<Job, 'kind' | 'direction' | 'totalBytes' | 'bytesTransferred' | 'preferences'>;

/** WP8 TransferPreferences: `none` needs Wi-Fi/Ethernet and external power; the others lift one or both. */
export function allowsCellular(p: Preferences): boolean {
  return p === 'allowCellular' || p === 'allowCellularAndBattery';
}

export function allowsBattery(p: Preferences): boolean {
  return p === 'allowBattery' || p === 'allowCellularAndBattery';
}

/** The same preferences with cellular taken away (a download over the cellular cap). */
export function withoutCellular(p: Preferences): Preferences {
  if (p === 'allowCellularAndBattery') return 'allowBattery';
  if (p === 'allowCellular') return 'none';
  return p;
}

/**
 * What the size is at least: the announced total, or the bytes already moved when that is more
 * (a download that grew, or one of unknown size that has run). 0 when nothing is known.
 */
export function sizeLowerBound(t: Pick<Job, 'totalBytes' | 'bytesTransferred'>): number {
  const total = t.totalBytes ?? 0;
  return t.bytesTransferred > total ? t.bytesTransferred : total;
}

/**
 * The fail rules, checked before any wait rule:
 * - upload over the external-power cap (the largest one: the cellular and battery caps are checked
 *   in addition to it, never instead of it): `too-large-for-any-cap`.
 * - download over the Wi-Fi-without-external-power cap (100 MB) whose preferences allow battery
 *   (`allowBattery`, `allowCellularAndBattery`): `needs-preferences-none`. WP8: "you must set
 *   TransferPreferences to None or the transfer will fail". We fail it as soon as the size is known,
 *   whatever the power is right now, so the outcome does not depend on when the size was learnt;
 *   `allowCellular` also demands external power, so it passes (and loses cellular above 20 MB).
 */
export function failReason(t: SizeFields, p: Config['policy']): Reason | null {
  if (t.kind === 'device-sync') return null;
  const size = sizeLowerBound(t);
  if (t.direction === 'upload') {
    const cap = p.uploadCaps.externalPowerBytes;
    return size > cap ? reason('too-large-for-any-cap', { sizeBytes: size, capBytes: cap }) : null;
  }
  const cap = p.downloadCaps.wifiBatteryBytes;
  if (size > cap && allowsBattery(t.preferences)) {
    return reason('needs-preferences-none', { sizeBytes: size, capBytes: cap });
  }
  return null;
}

/** Rejects at enqueue what could never run (see failReason); null when the request may be queued. */
export function checkEnqueue(t: SizeFields, p: Config['policy']): Reason | null {
  return failReason(t, p);
}
