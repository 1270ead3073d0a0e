// Composes the readers' latest values into one Conditions snapshot (pure). Order of trust: NetworkManager,
// then sysfs; ModemManager for generation/roaming of a cellular link; pins from the config override last.
import { isDeepStrictEqual } from 'node:util';
import type { Config } from '../config/schema.js';
import type { Conditions, DataPlanConditions, NetworkConditions, PowerConditions, StorageConditions } from './snapshot.js';
import type { NetworkManagerState } from './network-manager.js';
import type { SysfsNetState } from './sysfs-net.js';
// Types only: a config-driven agent (static.ts imports sameConditions) must not load dbus-next.
import type { ModemInfo } from './modem-manager.js';

export interface SnapshotParts {
  /** null: NetworkManager unavailable (or no bus). */
  nm: NetworkManagerState | null;
  sysNet: SysfsNetState | null;
  /** null: ModemManager unavailable. */
  modems: ModemInfo[] | null;
  upower: PowerConditions | null;
  sysPower: PowerConditions | null;
  storage: StorageConditions | null;
  dataPlan: (iface: string | null) => DataPlanConditions | null;
}

type ConditionsConfig = Config['conditions'];

function network(parts: SnapshotParts, config: ConditionsConfig, sources: Record<string, string>): NetworkConditions {
  const base = parts.nm ?? parts.sysNet;
  sources.network = parts.nm ? 'networkmanager' : parts.sysNet ? 'sysfs' : 'unavailable';
  sources.modem = parts.modems ? 'modemmanager' : 'unavailable';
  const net: NetworkConditions = {
    kind: base?.kind ?? 'none',
    interface: base?.interface ?? null,
    generation: null,
    metered: base?.metered ?? false,
    roaming: false,
  };
  if (parts.nm) net.connectivity = parts.nm.connectivity;
  const pin = net.interface ? config.pins.interfaces[net.interface] : undefined;
  if (pin?.kind) {
    net.kind = pin.kind as NetworkConditions['kind'];
    // sysfs only guessed metered from the kind it saw, so the guess follows the pinned kind.
    if (!parts.nm) net.metered = net.kind === 'cellular';
  }
  if (pin?.metered !== undefined) net.metered = pin.metered;
  if (net.kind === 'cellular') {
    const modem = parts.modems ? modemForInterface(parts.modems, net.interface) : null;
    if (modem) {
      net.generation = modem.generation;
      net.roaming = modem.roaming;
      net.operator = modem.operator;
      net.signalPercent = modem.signalPercent;
    }
  }
  if (pin?.roaming !== undefined) net.roaming = pin.roaming;
  if (pin) sources.pins = net.interface ?? '';
  return net;
}

function power(parts: SnapshotParts, config: ConditionsConfig, sources: Record<string, string>): PowerConditions {
  const order: Array<['upower' | 'sysfs', PowerConditions | null]> = [
    ['upower', parts.upower],
    ['sysfs', parts.sysPower],
  ];
  if (config.powerPreference === 'sysfs') order.reverse();
  const found = order.find(([, p]) => p !== null);
  sources.power = found ? found[0] : 'unavailable';
  // With nothing to read, assume mains: a gateway without a battery or supply class is wall powered.
  return found?.[1] ? { ...found[1] } : { source: 'external', batteryPercent: null, charging: false };
}

export function composeSnapshot(parts: SnapshotParts, config: ConditionsConfig): Conditions {
  const sources: Record<string, string> = {};
  const net = network(parts, config, sources);
  const pwr = power(parts, config, sources);
  const plan = parts.dataPlan(net.interface);
  sources.dataPlan = plan ? 'sysfs' : 'none';
  sources.storage = parts.storage ? 'statvfs' : 'unavailable';
  return {
    network: net,
    power: pwr,
    dataPlan: plan ?? { state: 'ok', usedBytes: 0, limitBytes: null, interface: net.interface },
    storage: parts.storage ?? { freeBytes: null, low: false },
    sources,
  };
}

// Byte counts (free space, data used) move on every poll while transfers run. They are left out of the
// comparison so listeners are not woken each poll; what decisions hang on (storage.low, dataPlan.state,
// every other field and source) is compared exactly, and current() always carries the fresh counts.
function significant(c: Conditions): unknown {
  return {
    ...c,
    storage: { ...c.storage, freeBytes: c.storage.freeBytes === null },
    dataPlan: { ...c.dataPlan, usedBytes: 0 },
  };
}

export function sameConditions(a: Conditions, b: Conditions): boolean {
  return isDeepStrictEqual(significant(a), significant(b));
}

/** The modem behind a network interface: by its net port, else the only (or first) modem. */
export function modemForInterface(modems: ModemInfo[], iface: string | null): ModemInfo | null {
  if (iface) {
    const byPort = modems.find((m) => m.netPorts.includes(iface) || m.primaryPort === iface);
    if (byPort) return byPort;
  }
  return modems[0] ?? null;
}
