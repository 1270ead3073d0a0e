// The conditions snapshot: what the agent knows of the world right now (API.md "Conditions").
// Readers fill parts of it; `sources` says where each part came from.

export type NetworkKind = 'none' | 'ethernet' | 'wifi' | 'cellular';
export type Generation = '2g' | '3g' | '4g' | '5g';

export interface NetworkConditions {
  kind: NetworkKind;
  interface: string | null;
  generation: Generation | null;
  metered: boolean;
  roaming: boolean;
  operator?: string | null;
  signalPercent?: number | null;
  connectivity?: string | null;
}

export interface PowerConditions {
  source: 'external' | 'battery';
  batteryPercent: number | null;
  charging: boolean;
}

export interface DataPlanConditions {
  state: 'ok' | 'approaching' | 'over';
  usedBytes: number;
  limitBytes: number | null;
  /** The interface whose plan this is (the primary link's). */
  interface?: string | null;
}

export interface StorageConditions {
  freeBytes: number | null;
  low: boolean;
  /** The hard floor (system/storage-guard.ts): present when the agent guards its disks. */
  floor?: StorageFloor;
}

/** Free space the agent always keeps on the state and transfers file systems, and whether state writes work. */
export interface StorageFloor {
  floorBytes: number;
  stateFreeBytes: number | null;
  transfersFreeBytes: number | null;
  /** null while the state database takes writes; else the store's error code. */
  stateWriteError: 'STORAGE_FULL' | 'STORAGE_ERROR' | null;
}

export interface Conditions {
  network: NetworkConditions;
  power: PowerConditions;
  dataPlan: DataPlanConditions;
  storage: StorageConditions;
  /** Device-sync: presence of each configured device by id (optional: only when device sync runs). */
  devices?: Record<string, { present: boolean; transport: string }>;
  /** e.g. {network: 'networkmanager', modem: 'modemmanager', power: 'sysfs', dataPlan: 'sysfs', storage: 'statvfs'} */
  sources: Record<string, string>;
}

/** A source of conditions: the scheduler only needs the current value and a change callback. */
export interface ConditionsSource {
  current(): Conditions;
  onChange(listener: (c: Conditions) => void): () => void;
  close(): Promise<void>;
}
