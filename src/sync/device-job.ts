// Builds device-sync jobs: which device, which operation, and the config item it came from (copied in,
// so a job runs as it was queued even if the config changes meanwhile).
import { randomUUID } from 'node:crypto';
import type { DeviceConfig, DevicePullConfig, DevicePushConfig } from '../config/sections/devices.js';
import { newJobState, type DeviceJob, type DeviceJobSpec, type DeviceOp, type Job } from '../model/job.js';
import { deviceUrl, pullLocalPath } from './device-config.js';

export type { DeviceJobSpec, DeviceOp };

/** The key two jobs share when they do the same thing to the same device (one outstanding at a time). */
export function jobKey(spec: Pick<DeviceJobSpec, 'id' | 'op' | 'remote'>): string {
  return `${spec.id}\u0000${spec.op}\u0000${spec.remote}`;
}

/** The job key of a device-sync job; null for anything else. */
export function keyOf(t: Job): string | null {
  return t.kind === 'device-sync' ? jobKey(t.device) : null;
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
  if (!('upload' in item) || !item.upload) return item;
  const up = item.upload;
  return { ...item, upload: { ...up, headers: Object.fromEntries(Object.keys(up.headers).map((k) => [k, '[from config]'])) } };
}

function describe(j: NewJob): { remote: string; localPath: string } {
  if (j.op === 'pull') {
    const p = j.item as DevicePullConfig;
    return { remote: p.remote, localPath: pullLocalPath(j.device.id, p) };
  }
  const p = j.item as DevicePushConfig;
  return { remote: j.op === 'push-image' ? `image/${p.image}` : (p.remote ?? ''), localPath: p.local };
}

/** Builds a queued device-sync job (url device://<id>/<remote> names it for clients). */
export function buildDeviceJob(j: NewJob): DeviceJob {
  const d = j.device;
  const { remote, localPath } = describe(j);
  const spec: DeviceJobSpec = { id: d.id, op: j.op, remote, item: withoutSecrets(j.item), ...(j.sha ? { sha: j.sha } : {}) };
  return {
    id: randomUUID(),
    kind: 'device-sync',
    owner: j.owner,
    url: deviceUrl(d.id, remote),
    method: j.op === 'pull' ? 'GET' : 'PUT',
    direction: j.op === 'pull' ? 'download' : 'upload',
    path: localPath,
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
    ...newJobState(j.now.toISOString()),
    totalBytes: null,
    device: spec,
  };
}
