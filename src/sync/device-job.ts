// The `device` part of a device-sync job record: which device, which operation, and the config item it
// came from (copied in, so a job runs as it was queued even if the config changes meanwhile).
import { randomUUID } from 'node:crypto';
import type { DeviceConfig, DevicePullConfig, DevicePushConfig } from '../config/sections/devices.js';
import { FerryError } from '../errors.js';
import { newJobState, type TransferRecord } from '../model/transfer.js';
import { deviceUrl, pullLocalPath } from './device-config.js';

export type DeviceOp = 'pull' | 'push-file' | 'push-image';

export interface DeviceJobSpec {
  id: string;
  op: DeviceOp;
  /** Remote file, or "image/<n>" for a firmware image. */
  remote: string;
  item: DevicePullConfig | DevicePushConfig;
  /** Push: SHA-256 of the local file when queued (a later sync skips an image already pushed). */
  sha?: string;
  /** Filled when the job completes. */
  result?: Record<string, unknown>;
}

export function jobSpec(t: TransferRecord): DeviceJobSpec {
  const d = t.device as Partial<DeviceJobSpec> | null;
  if (!d || typeof d.id !== 'string' || typeof d.op !== 'string' || typeof d.remote !== 'string' || !d.item) {
    throw new FerryError('INTERNAL', `device-sync job ${t.id} has no valid device description`);
  }
  return d as DeviceJobSpec;
}

/** The key two jobs share when they do the same thing to the same device (one outstanding at a time). */
export function jobKey(spec: Pick<DeviceJobSpec, 'id' | 'op' | 'remote'>): string {
  return `${spec.id}\u0000${spec.op}\u0000${spec.remote}`;
}

export interface NewJob {
  device: DeviceConfig;
  op: DeviceOp;
  item: DevicePullConfig | DevicePushConfig;
  owner: string;
  sha?: string;
  userInitiated?: boolean;
  now: Date;
}

/** The job record is served by the API: upload header values (tokens) stay in the config, only names are kept. */
function withoutSecrets(item: DevicePullConfig | DevicePushConfig): DevicePullConfig | DevicePushConfig {
  const up = (item as DevicePullConfig).upload;
  if (!up) return item;
  return { ...item, upload: { ...up, headers: Object.fromEntries(Object.keys(up.headers).map((k) => [k, '[from config]'])) } } as DevicePullConfig;
}

/** Builds a queued device-sync record (kind `device-sync`, url device://<id>/<remote>). */
export function buildDeviceJob(j: NewJob): TransferRecord {
  const d = j.device;
  let remote: string;
  let localPath: string;
  if (j.op === 'pull') {
    const p = j.item as DevicePullConfig;
    remote = p.remote;
    localPath = pullLocalPath(d.id, p);
  } else {
    const p = j.item as DevicePushConfig;
    remote = j.op === 'push-image' ? `image/${p.image}` : (p.remote ?? '');
    localPath = p.local;
  }
  const iso = j.now.toISOString();
  const spec: DeviceJobSpec = { id: d.id, op: j.op, remote, item: withoutSecrets(j.item), ...(j.sha ? { sha: j.sha } : {}) };
  return {
    id: randomUUID(),
    kind: 'device-sync',
    owner: j.owner,
    url: deviceUrl(d.id, remote),
    method: j.op === 'pull' ? 'GET' : 'PUT',
    direction: j.op === 'pull' ? 'download' : 'upload',
    path: localPath,
    protocol: 'plain',
    headers: {},
    preferences: d.preferences,
    constraints: { unmetered: false, charging: false, batteryNotLow: false, storageNotLow: j.op === 'pull' },
    userInitiated: j.userInitiated ?? false,
    expedited: j.userInitiated ?? false,
    sha256: null,
    retry: { backoff: 'exponential', initialDelayS: d.retry.initialDelayS, maxDelayS: d.retry.maxDelayS, maxAttempts: d.retry.maxAttempts },
    periodicMinutes: null,
    tag: `device-sync:${d.id}`,
    // An on-demand (user-initiated) sync is someone watching: it does not wait for the device's window.
    window: j.userInitiated ? null : (d.when.window ?? null),
    ...newJobState(iso),
    totalBytes: null,
    device: spec as unknown as Record<string, unknown>,
  };
}
