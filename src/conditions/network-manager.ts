// NetworkManager over D-Bus: the primary connection's device gives the network kind, interface and
// metered state. Any change to the manager, the primary active connection or its devices re-reads all.
import type { Logger } from '../log.js';
import type { NetworkKind } from './snapshot.js';
import { getAll, num, str, strList, type MessageBus } from './dbus-call.js';
import { startServiceReader, type ServiceReader } from './dbus-service-reader.js';

export const NM_NAME = 'org.freedesktop.NetworkManager';
export const NM_PATH = '/org/freedesktop/NetworkManager';
const NM_IFACE = 'org.freedesktop.NetworkManager';
const ACTIVE_IFACE = 'org.freedesktop.NetworkManager.Connection.Active';
const DEVICE_IFACE = 'org.freedesktop.NetworkManager.Device';

export interface NetworkManagerState {
  kind: NetworkKind;
  interface: string | null;
  metered: boolean;
  /** NMMetered behind `metered`: 0 unknown, 1 yes, 2 no, 3 guess-yes, 4 guess-no. */
  meteredRaw: number;
  connectivity: string | null;
  state: string | null;
}

// NMDeviceType values whose kind is clear. Bluetooth (DUN/PAN), WiMAX and PPP links are a phone or
// modem behind the scenes, so they count as cellular; bridges, bonds, VLANs… fall back to the
// connection type, then to ethernet.
const DEVICE_KINDS: Record<number, NetworkKind> = {
  1: 'ethernet',
  2: 'wifi',
  5: 'cellular',
  6: 'wifi',
  7: 'cellular',
  8: 'cellular',
  23: 'cellular',
  30: 'wifi',
};

const CONNECTION_KINDS: Record<string, NetworkKind> = {
  '802-3-ethernet': 'ethernet',
  pppoe: 'ethernet',
  adsl: 'ethernet',
  '802-11-wireless': 'wifi',
  '802-11-olpc-mesh': 'wifi',
  'wifi-p2p': 'wifi',
  gsm: 'cellular',
  cdma: 'cellular',
  bluetooth: 'cellular',
  wimax: 'cellular',
};

const CONNECTIVITY = ['unknown', 'none', 'portal', 'limited', 'full'];
const STATES: Record<number, string> = {
  0: 'unknown',
  10: 'asleep',
  20: 'disconnected',
  30: 'disconnecting',
  40: 'connecting',
  50: 'connected-local',
  60: 'connected-site',
  70: 'connected-global',
};

export function kindFromNm(deviceType: number | null, connectionType: string | null): NetworkKind {
  if (deviceType !== null && DEVICE_KINDS[deviceType]) return DEVICE_KINDS[deviceType];
  if (connectionType && CONNECTION_KINDS[connectionType]) return CONNECTION_KINDS[connectionType];
  return 'ethernet';
}

/** NM's advice: guess-yes counts as yes. Unknown on a cellular link counts as metered (the costly guess). */
export function meteredFromNm(raw: number, kind: NetworkKind): boolean {
  if (raw === 1 || raw === 3) return true;
  if (raw === 2 || raw === 4) return false;
  return kind === 'cellular';
}

export interface NetworkManagerReaderDeps {
  bus: MessageBus;
  log: Logger;
  retryMs?: number;
}

export async function startNetworkManagerReader(deps: NetworkManagerReaderDeps): Promise<ServiceReader<NetworkManagerState>> {
  const { bus } = deps;
  // Object paths whose signals matter: the manager, the primary active connection and its devices.
  let watched = new Set<string>([NM_PATH]);

  async function primaryPath(manager: Record<string, unknown>): Promise<string | null> {
    const primary = str(manager, 'PrimaryConnection');
    if (primary !== null) return primary === '/' ? null : primary;
    // NM before 0.9.10 (and bare mocks) lack PrimaryConnection: the active connection holding the default route.
    for (const path of strList(manager, 'ActiveConnections')) {
      const ac = await getAll(bus, NM_NAME, path, ACTIVE_IFACE);
      if (ac.Default === true || ac.Default6 === true) return path;
    }
    return null;
  }

  async function read(): Promise<NetworkManagerState> {
    const manager = await getAll(bus, NM_NAME, NM_PATH, NM_IFACE);
    const stateNum = num(manager, 'State');
    const connNum = num(manager, 'Connectivity');
    const base = {
      connectivity: connNum === null ? null : (CONNECTIVITY[connNum] ?? 'unknown'),
      state: stateNum === null ? null : (STATES[stateNum] ?? 'unknown'),
    };
    const primary = await primaryPath(manager);
    const nextWatched = new Set<string>([NM_PATH]);
    if (primary === null || (stateNum !== null && stateNum <= 20)) {
      watched = nextWatched;
      return { kind: 'none', interface: null, metered: false, meteredRaw: 0, ...base };
    }
    nextWatched.add(primary);
    const ac = await getAll(bus, NM_NAME, primary, ACTIVE_IFACE);
    const connType = str(ac, 'Type') ?? str(manager, 'PrimaryConnectionType');
    const devicePath = strList(ac, 'Devices')[0] ?? null;
    let device: Record<string, unknown> = {};
    if (devicePath !== null) {
      nextWatched.add(devicePath);
      device = await getAll(bus, NM_NAME, devicePath, DEVICE_IFACE);
    }
    watched = nextWatched;
    const kind = kindFromNm(num(device, 'DeviceType'), connType);
    // The manager's Metered is the primary device's; a device value is the fallback for older NM.
    const meteredRaw = [num(manager, 'Metered'), num(device, 'Metered')].find((m) => m !== null && m !== 0) ?? 0;
    return {
      kind,
      interface: str(device, 'IpInterface') || str(device, 'Interface') || null,
      metered: meteredFromNm(meteredRaw, kind),
      meteredRaw,
      ...base,
    };
  }

  return startServiceReader({
    bus,
    name: NM_NAME,
    pathNamespace: NM_PATH,
    log: deps.log.child({ reader: 'networkmanager' }),
    read,
    // Both the standard Properties.PropertiesChanged and NM's older per-interface one count.
    relevant: (msg) => (msg.member === 'PropertiesChanged' || msg.member === 'StateChanged') && watched.has(msg.path),
    retryMs: deps.retryMs,
  });
}
