// Network kind from /sys/class/net when NetworkManager is absent: the first link that is up, preferring
// ethernet, then Wi-Fi, then cellular (the order of NM's default route metrics). Virtual links are skipped,
// except PPP, which is how many modems present their data link.
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { NetworkKind } from './snapshot.js';
import { listDir, readAttr, readIntAttr } from './sysfs-read.js';

export type LinkKind = Exclude<NetworkKind, 'none'>;

export interface SysfsLink {
  name: string;
  kind: LinkKind;
  up: boolean;
}

export interface SysfsNetState {
  kind: NetworkKind;
  interface: string | null;
  /** Cellular is assumed metered; pins in the config can say otherwise. */
  metered: boolean;
  links: SysfsLink[];
}

const ARPHRD_LOOPBACK = 772;
const ARPHRD_PPP = 512;
const ARPHRD_NONE = 65534; // raw-IP links: qmi_wwan/mhi modems (also tun, which is virtual)
const IFF_UP = 0x1;
const PREFERENCE: LinkKind[] = ['ethernet', 'wifi', 'cellular'];

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

function devtype(uevent: string | null): string | null {
  const m = /^DEVTYPE=(.*)$/m.exec(uevent ?? '');
  return m?.[1]?.trim() ?? null;
}

async function readLink(base: string, name: string): Promise<SysfsLink | null> {
  const type = await readIntAttr(join(base, 'type'));
  if (name === 'lo' || type === ARPHRD_LOOPBACK) return null;
  const physical = await exists(join(base, 'device'));
  const dt = devtype(await readAttr(join(base, 'uevent')));
  let kind: LinkKind | null = null;
  if (dt === 'wlan' || (await exists(join(base, 'wireless'))) || (await exists(join(base, 'phy80211')))) kind = 'wifi';
  else if (dt === 'wwan' || type === ARPHRD_PPP || (physical && type === ARPHRD_NONE)) kind = 'cellular';
  else if (physical) kind = 'ethernet';
  if (kind === null || (!physical && type !== ARPHRD_PPP)) return null;
  const operstate = await readAttr(join(base, 'operstate'));
  // PPP and raw-IP links often report "unknown" while carrying traffic: then IFF_UP and carrier decide.
  let up = operstate === 'up';
  if (!up && operstate === 'unknown') {
    const flags = Number.parseInt((await readAttr(join(base, 'flags'))) ?? '0', 16);
    up = (flags & IFF_UP) !== 0 && (await readAttr(join(base, 'carrier'))) === '1';
  }
  return { name, kind, up };
}

/** Reads `${sysfsRoot}/class/net`; null when that directory is missing. */
export async function readSysfsNet(sysfsRoot: string): Promise<SysfsNetState | null> {
  const dir = join(sysfsRoot, 'class', 'net');
  const names = await listDir(dir);
  if (names === null) return null;
  const links: SysfsLink[] = [];
  for (const name of names) {
    const link = await readLink(join(dir, name), name);
    if (link) links.push(link);
  }
  for (const kind of PREFERENCE) {
    const link = links.find((l) => l.up && l.kind === kind);
    if (link) return { kind, interface: link.name, metered: kind === 'cellular', links };
  }
  return { kind: 'none', interface: null, metered: false, links };
}
