// Builders for policy tests: a transfer and a conditions snapshot that allow running, patched per case.
import type { Conditions } from '../../src/conditions/snapshot.js';
import type { PolicyTransfer } from '../../src/policy/decide.js';

export const MiB = 1024 * 1024;
export const NOW = Date.parse('2025-03-01T12:00:00.000Z');

export type TransferPatch = Partial<Omit<PolicyTransfer, 'constraints'>> & {
  constraints?: Partial<PolicyTransfer['constraints']>;
};

export function transfer(patch: TransferPatch = {}): PolicyTransfer {
  const { constraints, ...rest } = patch;
  return {
    kind: 'http',
    direction: 'download',
    totalBytes: 1 * MiB,
    bytesTransferred: 0,
    preferences: 'allowBattery',
    userInitiated: false,
    expedited: false,
    nextAttemptAt: null,
    state: 'queued',
    createdAt: '2025-03-01T11:00:00.000Z',
    ...rest,
    constraints: { unmetered: false, charging: false, batteryNotLow: false, storageNotLow: false, ...constraints },
  };
}

export interface ConditionsPatch {
  network?: Partial<Conditions['network']>;
  power?: Partial<Conditions['power']>;
  dataPlan?: Partial<Conditions['dataPlan']>;
  storage?: Partial<Conditions['storage']>;
}

/** Ethernet, external power, data plan ok, plenty of storage, unless patched. */
export function conditions(patch: ConditionsPatch = {}): Conditions {
  return {
    network: { kind: 'ethernet', interface: 'eth0', generation: null, metered: false, roaming: false, ...patch.network },
    power: { source: 'external', batteryPercent: null, charging: false, ...patch.power },
    dataPlan: { state: 'ok', usedBytes: 0, limitBytes: null, ...patch.dataPlan },
    storage: { freeBytes: 10_000 * MiB, low: false, ...patch.storage },
    sources: { network: 'config', power: 'config' },
  };
}

export const cellular = (extra: Partial<Conditions['network']> = {}): ConditionsPatch['network'] => ({
  kind: 'cellular',
  interface: 'wwan0',
  generation: '4g',
  metered: true,
  ...extra,
});
export const wifi: ConditionsPatch['network'] = { kind: 'wifi', interface: 'wlan0' };
export const battery = (percent = 60, charging = false): ConditionsPatch['power'] => ({
  source: 'battery',
  batteryPercent: percent,
  charging,
});
