// Power from /sys/class/power_supply: an online Mains/USB/Wireless/UPS supply means external power; a
// system battery gives charge and status. A box with no supply entries at all is mains powered.
import { join } from 'node:path';
import type { PowerConditions } from './snapshot.js';
import { listDir, readAttr, readIntAttr } from './sysfs-read.js';

const EXTERNAL_TYPES = new Set(['Mains', 'USB', 'Wireless', 'UPS']);

/** Reads the supplies under `${sysfsRoot}/class/power_supply`; null when that directory is missing. */
export async function readPowerSupplies(sysfsRoot: string): Promise<PowerConditions | null> {
  const dir = join(sysfsRoot, 'class', 'power_supply');
  const names = await listDir(dir);
  if (names === null) return null;
  let externalOnline = false;
  let externalListed = false;
  let battery: { capacity: number | null; status: string | null } | null = null;
  for (const name of names) {
    const base = join(dir, name);
    const type = await readAttr(join(base, 'type'));
    if (type !== null && EXTERNAL_TYPES.has(type)) {
      externalListed = true;
      if ((await readAttr(join(base, 'online'))) === '1') externalOnline = true;
      continue;
    }
    if (type !== 'Battery' || battery !== null) continue;
    // scope=Device marks a peripheral's battery (mouse, headset), not the one that powers this box.
    if ((await readAttr(join(base, 'scope'))) === 'Device') continue;
    if ((await readAttr(join(base, 'present'))) === '0') continue;
    battery = { capacity: await readIntAttr(join(base, 'capacity')), status: await readAttr(join(base, 'status')) };
  }
  if (battery === null) return { source: 'external', batteryPercent: null, charging: false };
  // Some boards list no Mains/USB supply at all: there, a charging or full battery is fed from outside.
  const fed = battery.status === 'Charging' || battery.status === 'Full';
  const source = externalOnline || (!externalListed && fed) ? 'external' : 'battery';
  return {
    source,
    batteryPercent: battery.capacity === null ? null : Math.max(0, Math.min(100, battery.capacity)),
    charging: battery.status === 'Charging' || (battery.status === 'Full' && source === 'external'),
  };
}
