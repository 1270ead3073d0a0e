// Puts device-sync work into the queue: one job per pull/push item, never two outstanding for the same
// device + operation + remote, a push skipped when that exact file was pushed already, and chained uploads
// of what was pulled. Finished jobs the agent made itself are replaced by their successor, so automatic
// syncs do not fill the `device-sync` client's quota.
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { DeviceConfig, DevicePullConfig, DevicePushConfig, DeviceUploadConfig } from '../config/sections/devices.js';
import { isFinal, type DeviceJob, type Job } from '../model/job.js';
import { DEVICE_SYNC, type Principal } from '../model/principal.js';
import type { JobQueue } from '../queue/job-queue.js';
import { hashFile } from '../transfer/part-file.js';
import { resolveInsideRoot } from '../transfer/request-checks.js';
import { expandUploadUrl, pullLocalPath } from './device-config.js';
import { buildDeviceJob, jobKey, keyOf, type DeviceOp } from './device-job.js';

/** The owner of jobs and uploads the agent queues on its own. */
export const SYNC_OWNER = DEVICE_SYNC.name;

export interface EnqueueDeps {
  queue: JobQueue;
  config: () => Config;
  log: Logger;
  now: () => number;
}

export function uploadTag(deviceId: string): string {
  return `device-sync:${deviceId}:upload`;
}

export class DeviceEnqueuer {
  constructor(private readonly deps: EnqueueDeps) {}

  /** Queues every pull and push of the device that is not already outstanding; returns the device's outstanding jobs. */
  async syncDevice(d: DeviceConfig, by: Principal = DEVICE_SYNC, userInitiated = false): Promise<Job[]> {
    const out: Job[] = [];
    for (const p of d.pull) {
      const t = this.pull(d, p, by, userInitiated);
      if (t) out.push(t);
    }
    for (const p of d.push) {
      const t = await this.push(d, p, by, userInitiated);
      if (t) out.push(t);
    }
    return out;
  }

  /** Chained upload of a freshly pulled file, replacing the previous finished one of the same path. */
  async chainUpload(deviceId: string, relPath: string, up: DeviceUploadConfig, tag = uploadTag(deviceId)): Promise<string> {
    this.dropFinished((t) => t.kind === 'http' && t.tag === tag && t.path === relPath);
    const request: Record<string, unknown> = {
      url: expandUploadUrl(up.url, deviceId, path.posix.basename(relPath)),
      method: up.method,
      direction: 'upload',
      path: relPath,
      protocol: up.protocol,
      headers: up.headers,
      preferences: up.preferences,
      tag,
      ...(up.constraints ? { constraints: up.constraints } : {}),
    };
    const t = await this.deps.queue.enqueueTransfer(DEVICE_SYNC, request);
    this.deps.log.info({ device: deviceId, path: relPath, transfer: t.id }, 'chained upload queued');
    return t.id;
  }

  private pull(d: DeviceConfig, p: DevicePullConfig, by: Principal, userInitiated: boolean): Job | null {
    const open = this.outstanding(jobKey({ id: d.id, op: 'pull', remote: p.remote }));
    if (open) return open;
    const local = pullLocalPath(d.id, p);
    // A new pull would overwrite the file its chained upload is still sending.
    const uploading = this.deps.queue.all().find((t) => t.kind === 'http' && t.tag === uploadTag(d.id) && t.path === local && !isFinal(t.state));
    if (uploading) {
      this.deps.log.info({ device: d.id, remote: p.remote, upload: uploading.id }, 'pull deferred: its last pull is still being uploaded');
      return null;
    }
    return this.insert(d, 'pull', p, by, userInitiated);
  }

  private async push(d: DeviceConfig, p: DevicePushConfig, by: Principal, userInitiated: boolean): Promise<Job | null> {
    const op: DeviceOp = p.type === 'image' ? 'push-image' : 'push-file';
    const key = jobKey({ id: d.id, op, remote: op === 'push-image' ? `image/${p.image}` : (p.remote ?? '') });
    const open = this.outstanding(key);
    if (open) return open;
    let sha: string;
    try {
      const { abs } = await resolveInsideRoot(this.deps.config().transfersRoot, p.local);
      sha = await hashFile(abs);
    } catch (e) {
      this.deps.log.debug({ device: d.id, local: p.local, err: (e as Error).message }, 'nothing to push yet');
      return null;
    }
    const done = this.latestFinished(key);
    if (done?.state === 'completed' && done.device.sha === sha) return null;
    return this.insert(d, op, p, by, userInitiated, sha);
  }

  private insert(d: DeviceConfig, op: DeviceOp, item: DevicePullConfig | DevicePushConfig, by: Principal, userInitiated: boolean, sha?: string): Job | null {
    const t = buildDeviceJob({ device: d, op, item, owner: by.name, userInitiated, now: new Date(this.deps.now()), ...(sha ? { sha } : {}) });
    const key = jobKey(t.device);
    this.dropFinished((x) => keyOf(x) === key);
    try {
      const added = this.deps.queue.add(t);
      this.deps.log.info({ device: d.id, op, remote: t.device.remote, id: t.id, owner: by.name }, 'device sync job queued');
      return added;
    } catch (e) {
      if (by !== DEVICE_SYNC) throw e;
      this.deps.log.warn({ device: d.id, op, err: (e as Error).message }, 'device sync job not queued');
      return null;
    }
  }

  private outstanding(key: string): Job | undefined {
    return this.deps.queue.all().find((t) => !isFinal(t.state) && keyOf(t) === key);
  }

  private latestFinished(key: string): DeviceJob | undefined {
    let best: DeviceJob | undefined;
    for (const t of this.deps.queue.all()) {
      if (t.kind !== 'device-sync' || !isFinal(t.state) || keyOf(t) !== key) continue;
      if (!best || t.updatedAt > best.updatedAt) best = t;
    }
    return best;
  }

  /** Finished records the agent made itself give way to their successor. */
  private dropFinished(match: (t: Job) => boolean): void {
    for (const t of this.deps.queue.all()) {
      if (t.owner === SYNC_OWNER && isFinal(t.state) && match(t)) this.deps.queue.remove(t.id);
    }
  }
}
