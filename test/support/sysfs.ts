// sysfs fixture trees in a temp dir, laid out like /sys/class/net and /sys/class/power_supply, that a test
// changes while a reader polls. Files are replaced atomically (write + rename) so a poll never sees half a value.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from './tmp.js';

export type NetKind = 'ethernet' | 'wifi' | 'wwan' | 'rawip' | 'ppp' | 'virtual' | 'loopback';

export interface NetSpec {
  kind: NetKind;
  operstate?: 'up' | 'down' | 'unknown' | 'dormant';
  carrier?: boolean;
  rx?: number;
  tx?: number;
  ifindex?: number;
}

export interface SupplySpec {
  type: 'Mains' | 'USB' | 'Wireless' | 'UPS' | 'Battery';
  online?: boolean;
  capacity?: number;
  status?: 'Charging' | 'Discharging' | 'Full' | 'Not charging' | 'Unknown';
  /** "Device" marks a peripheral's battery. */
  scope?: 'System' | 'Device';
}

export interface SysfsFixture {
  /** Pass as sysfsRoot. */
  readonly root: string;
  addNet(name: string, spec: NetSpec): void;
  setOperstate(name: string, state: NonNullable<NetSpec['operstate']>): void;
  setCounters(name: string, rx: number, tx: number): void;
  setIfindex(name: string, ifindex: number): void;
  removeNet(name: string): void;
  addSupply(name: string, spec: SupplySpec): void;
  setSupply(name: string, patch: Partial<Omit<SupplySpec, 'type'>>): void;
  removeSupply(name: string): void;
  cleanup(): void;
}

// ARPHRD_* of the kinds: ether 1, ppp 512, none (raw IP) 65534, loopback 772.
const TYPES: Record<NetKind, number> = { ethernet: 1, wifi: 1, wwan: 1, rawip: 65534, ppp: 512, virtual: 1, loopback: 772 };

function put(file: string, value: string | number): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${value}\n`);
  renameSync(tmp, file);
}

/** A fixture tree; `withNet`/`withPowerSupply` false leave that class directory out (a box without it). */
export function createSysfsFixture(opts: { withNet?: boolean; withPowerSupply?: boolean } = {}): SysfsFixture {
  const tmp = makeTempDir('ferry-sysfs-');
  const net = join(tmp.path, 'class', 'net');
  const ps = join(tmp.path, 'class', 'power_supply');
  if (opts.withNet !== false) mkdirSync(net, { recursive: true });
  if (opts.withPowerSupply !== false) mkdirSync(ps, { recursive: true });
  let nextIfindex = 2;

  return {
    root: tmp.path,
    addNet(name, spec) {
      const d = join(net, name);
      mkdirSync(join(d, 'statistics'), { recursive: true });
      const physical = spec.kind !== 'virtual' && spec.kind !== 'ppp' && spec.kind !== 'loopback';
      if (physical) mkdirSync(join(d, 'device'));
      if (spec.kind === 'wifi') mkdirSync(join(d, 'wireless'));
      const ifindex = spec.ifindex ?? nextIfindex++;
      put(join(d, 'uevent'), `INTERFACE=${name}\nIFINDEX=${ifindex}${spec.kind === 'wwan' ? '\nDEVTYPE=wwan' : ''}`);
      put(join(d, 'type'), TYPES[spec.kind]);
      put(join(d, 'ifindex'), ifindex);
      const state = spec.operstate ?? 'up';
      put(join(d, 'operstate'), state);
      put(join(d, 'flags'), state === 'down' ? '0x1002' : '0x1043');
      put(join(d, 'carrier'), spec.carrier === false || state === 'down' ? 0 : 1);
      put(join(d, 'statistics', 'rx_bytes'), spec.rx ?? 0);
      put(join(d, 'statistics', 'tx_bytes'), spec.tx ?? 0);
    },
    setOperstate(name, state) {
      const d = join(net, name);
      put(join(d, 'operstate'), state);
      put(join(d, 'flags'), state === 'down' ? '0x1002' : '0x1043');
      put(join(d, 'carrier'), state === 'down' ? 0 : 1);
    },
    setCounters(name, rx, tx) {
      put(join(net, name, 'statistics', 'rx_bytes'), rx);
      put(join(net, name, 'statistics', 'tx_bytes'), tx);
    },
    setIfindex(name, ifindex) {
      put(join(net, name, 'ifindex'), ifindex);
    },
    removeNet(name) {
      rmSync(join(net, name), { recursive: true, force: true });
    },
    addSupply(name, spec) {
      const d = join(ps, name);
      mkdirSync(d, { recursive: true });
      put(join(d, 'type'), spec.type);
      if (spec.type === 'Battery') {
        put(join(d, 'present'), 1);
        put(join(d, 'capacity'), spec.capacity ?? 100);
        put(join(d, 'status'), spec.status ?? 'Discharging');
        if (spec.scope) put(join(d, 'scope'), spec.scope);
      } else {
        put(join(d, 'online'), spec.online === false ? 0 : 1);
      }
    },
    setSupply(name, patch) {
      const d = join(ps, name);
      if (patch.online !== undefined) put(join(d, 'online'), patch.online ? 1 : 0);
      if (patch.capacity !== undefined) put(join(d, 'capacity'), patch.capacity);
      if (patch.status !== undefined) put(join(d, 'status'), patch.status);
      if (patch.scope !== undefined) put(join(d, 'scope'), patch.scope);
    },
    removeSupply(name) {
      rmSync(join(ps, name), { recursive: true, force: true });
    },
    cleanup: tmp.cleanup,
  };
}
