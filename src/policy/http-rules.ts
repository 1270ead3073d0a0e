// Rules for HTTP transfers only (POLICY.md §3): the network, the size caps, and the checks of a running
// attempt (slow transfer, execution window).
import { reason } from './reasons.js';
import type { Rule, RunStats, PolicyConfig } from './rule.js';
import { allowsCellular, sizeLowerBound, withoutCellular } from './size-rules.js';

const NO_NETWORK = reason('no-network');
const ROAMING = reason('roaming');
const SLOW_2G = reason('slow-network-2g');
const OVER_PLAN = reason('over-data-plan');
const NEEDS_WIFI = reason('needs-wifi');
const METERED = reason('metered');
const UNKNOWN_SIZE = reason('unknown-size');

export const network: Rule = (t, ctx, out) => {
  const { c, p } = ctx;
  const net = c.network.kind;
  if (net === 'none') {
    out.push(NO_NETWORK);
    return;
  }
  const size = sizeLowerBound(t);
  if (net === 'cellular') {
    // Roaming and the data plan concern the cellular link only, and only while it is the active one.
    if (c.network.roaming && !(t.userInitiated && p.roamingAllowUserInitiated)) out.push(ROAMING);
    if (p.slow2gUserInitiatedOnly && c.network.generation === '2g' && !t.userInitiated) out.push(SLOW_2G);
    if (c.dataPlan.state === 'over' && !t.userInitiated) out.push(OVER_PLAN);
    if (t.direction === 'download' && size > p.downloadCaps.cellularBytes) {
      // WP8: the preferences change so the download needs Wi-Fi. Only cellular is taken away, so a
      // client's demand for external power survives (allowCellular → none, not → allowBattery).
      if (allowsCellular(t.preferences)) ctx.switchPreferences = withoutCellular(t.preferences);
      out.push(reason('needs-wifi', { sizeBytes: size, capBytes: p.downloadCaps.cellularBytes }));
    } else if (!allowsCellular(t.preferences)) {
      out.push(NEEDS_WIFI);
    }
    if (t.direction === 'upload' && size > p.uploadCaps.cellularBytes) {
      out.push(reason('too-large-for-cellular', { sizeBytes: size, capBytes: p.uploadCaps.cellularBytes }));
    }
  }
  if (t.constraints.unmetered && c.network.metered) out.push(METERED);
  // Unknown size: possibly large, so only under the conditions of preferences "none".
  if (t.totalBytes === null && p.unknownSize !== 'allow' && (net === 'cellular' || c.power.source === 'battery')) out.push(UNKNOWN_SIZE);
};

export const batteryUploadCap: Rule = (t, { c, p }, out) => {
  if (c.power.source !== 'battery' || t.direction !== 'upload') return;
  const size = sizeLowerBound(t);
  if (size > p.uploadCaps.batteryBytes) out.push(reason('too-large-for-battery', { sizeBytes: size, capBytes: p.uploadCaps.batteryBytes }));
};

/** Checks of a running attempt; device sessions have their own budget instead (§6). */
export const runningAttempt: Rule = (t, { c, p, now, run, othersWaiting }, out) => {
  if (run === undefined) return;
  const elapsedMs = now - run.startedAtMs;
  if (c.network.kind !== 'none') {
    const slow = slowTransfer(run, now, elapsedMs, c.network.kind === 'cellular', p);
    if (slow !== null) out.push(slow);
  }
  // User-initiated work is never interrupted for fairness.
  if (othersWaiting && !t.userInitiated && elapsedMs >= p.executionWindowS * 1000) {
    out.push(reason('window-exhausted', { windowS: p.executionWindowS }));
  }
};

/**
 * Rate over the last full window, from the newest sample at or before its start to the newest sample,
 * divided by the time up to `now` (a stall since the last sample counts as zero bytes). Judged only
 * once the attempt has run a full window, so a slow TCP start does not trip it.
 */
function slowTransfer(run: RunStats, now: number, elapsedMs: number, cellular: boolean, p: PolicyConfig) {
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
