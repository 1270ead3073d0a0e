// Which policy.bandwidth entry limits a transfer now (pure): entries for the current network kind, an
// entry whose window is open winning over one without a window (the first of each kind in config
// order); none when the transfer's flags are exempt from the chosen entry.
import type { Config } from '../config/schema.js';
import type { NetworkKind } from '../conditions/snapshot.js';
import type { Job } from '../model/job.js';
import { isInside } from './windows.js';

export interface BandwidthLimit {
  /** Same entry, same bucket. */
  key: string;
  bytesPerSecond: number;
}

export function bandwidthLimit(
  t: Pick<Job, 'userInitiated' | 'expedited'>,
  network: NetworkKind,
  p: Pick<Config['policy'], 'bandwidth' | 'windows'>,
  now: number,
  zone: string,
): BandwidthLimit | null {
  let chosen = -1;
  let windowed = false;
  p.bandwidth.forEach((e, i) => {
    if (e.network !== network) return;
    if (e.window === null) {
      if (chosen < 0) chosen = i;
      return;
    }
    const spec = p.windows[e.window];
    if (!windowed && spec && isInside(spec, now, zone)) {
      chosen = i;
      windowed = true;
    }
  });
  const e = p.bandwidth[chosen];
  if (e === undefined) return null;
  if ((t.userInitiated && e.exempt.includes('userInitiated')) || (t.expedited && e.exempt.includes('expedited'))) return null;
  return { key: `${chosen}:${e.network}`, bytesPerSecond: e.bytesPerSecond };
}
