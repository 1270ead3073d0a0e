// Puts device-sync work into the durable queue: one job per pull/push item, never two outstanding for
// the same device + operation + remote, a push skipped when that exact file was pushed already, and
// chained uploads of what was pulled. Finished jobs the agent made itself are replaced by their successor,
// so automatic syncs do not fill the `device-sync` client's quota.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { DeviceConfig, DevicePullConfig, DevicePushConfig, DeviceUploadConfig } from '../config/sections/devices.js';
import { FerryError } from '../errors.js';
import { isFinal, type TransferRecord } from '../model/transfer.js';
import { resolveInsideRoot } from '../transfer/request-checks.js';
import { expandUploadUrl, pullLocalPath } from './device-config.js';
import { buildDeviceJob, jobKey, jobSpec, type DeviceOp } from './device-job.js';

/** The owner of jobs and uploads the agent queues on its own. */
export const SYNC_OWNER = 'device-sync';

/** The parts of the store and scheduler device sync uses (TransferStore and Scheduler fit). */
export interface SyncQueue {
  all(): TransferRecord[];
  get(id: string): TransferRecord | undefined;
  insert(t: TransferRecord, limits: { perClient: number; total: number }): void;
}
export interface SyncScheduler {
  reconcile(): unknown;
  remove(id: string): Promise<void>;
  emit(event: 'transfer', t: TransferRecord): boolean;
  on(event: 'transfer', listener: (t: TransferRecord) => void): unknown;
  off(event: 'transfer', listener: (t: TransferRecord) => void): unknown;
}

/** Queues an HTTP transfer like POST /v1/transfers does (checks, quotas, decision); resolves with its id. */
export type EnqueueHttp = (request: Record<string, unknown>, owner: string) => Promise<{ id: string }>;

export interface EnqueueDeps {
  queue: SyncQueue;
  scheduler: SyncScheduler;
  enqueueHttp: EnqueueHttp;
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
  async syncDevice(d: DeviceConfig, owner = SYNC_OWNER, userInitiated = false): Promise<TransferRecord[]> {
    const out: TransferRecord[] = [];
    for (const p of d.pull) {
      const t = await this.pull(d, p, owner, userInitiated);
      if (t) out.push(t);
    }
    for (const p of d.push) {
      const t = await this.push(d, p, owner, userInitiated);
      if (t) out.push(t);
    }
    if (out.length > 0) this.deps.scheduler.reconcile();
    return out;
  }

  /** Chained upload of a freshly pulled file, replacing the previous finished one of the same path. */
  async chainUpload(deviceId: string, relPath: string, up: DeviceUploadConfig, tag = uploadTag(deviceId)): Promise<string> {
    await this.dropFinished((t) => t.kind === 'http' && t.tag === tag && t.path === relPath);
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
    const r = await this.deps.enqueueHttp(request, SYNC_OWNER);
    this.deps.log.info({ device: deviceId, path: relPath, transfer: r.id }, 'chained upload queued');
    return r.id;
  }

  private async pull(d: DeviceConfig, p: DevicePullConfig, owner: string, userInitiated: boolean): Promise<TransferRecord | null> {
    const key = jobKey({ id: d.id, op: 'pull', remote: p.remote });
    const open = this.outstanding(key);
    if (open) return open;
    const local = pullLocalPath(d.id, p);
    // A new pull would overwrite the file its chained upload is still sending.
    const uploading = this.deps.queue.all().find((t) => t.kind === 'http' && t.tag === uploadTag(d.id) && t.path === local && !isFinal(t.state));
    if (uploading) {
      this.deps.log.info({ device: d.id, remote: p.remote, upload: uploading.id }, 'pull deferred: its last pull is still being uploaded');
      return null;
    }
    return this.insert(d, 'pull', p, owner, userInitiated);
  }

  private async push(d: DeviceConfig, p: DevicePushConfig, owner: string, userInitiated: boolean): Promise<TransferRecord | null> {
    const op: DeviceOp = p.type === 'image' ? 'push-image' : 'push-file';
    const remote = op === 'push-image' ? `image/${p.image}` : (p.remote ?? '');
    const key = jobKey({ id: d.id, op, remote });
    const open = this.outstanding(key);
    if (open) return open;
    let sha: string;
    try {
      const { abs } = await resolveInsideRoot(this.deps.config().transfersRoot, p.local);
      sha = await sha256File(abs);
    } catch (e) {
      this.deps.log.debug({ device: d.id, local: p.local, err: (e as Error).message }, 'nothing to push yet');
      return null;
    }
    const done = this.latestFinished(key);
    if (done?.state === 'completed' && (done.device as { sha?: string }).sha === sha) return null;
    return this.insert(d, op, p, owner, userInitiated, sha);
  }

  private async insert(
    d: DeviceConfig, op: DeviceOp, item: DevicePullConfig | DevicePushConfig, owner: string, userInitiated: boolean, sha?: string,
  ): Promise<TransferRecord | null> {
    const cfg = this.deps.config();
    const t = buildDeviceJob({ device: d, op, item, owner, userInitiated, now: new Date(this.deps.now()), ...(sha ? { sha } : {}) });
    const key = keyOf(t);
    await this.dropFinished((x) => keyOf(x) === key);
    try {
      this.deps.queue.insert(t, { perClient: cfg.transfers.perClientLimit, total: cfg.transfers.totalLimit });
    } catch (e) {
      if (owner !== SYNC_OWNER) throw e;
      this.deps.log.warn({ device: d.id, op, err: (e as Error).message }, 'device sync job not queued');
      return null;
    }
    this.deps.log.info({ device: d.id, op, remote: jobSpec(t).remote, id: t.id, owner }, 'device sync job queued');
    this.deps.scheduler.emit('transfer', t);
    return t;
  }

  private outstanding(key: string): TransferRecord | undefined {
    return this.deps.queue.all().find((t) => !isFinal(t.state) && keyOf(t) === key);
  }

  private latestFinished(key: string): TransferRecord | undefined {
    let best: TransferRecord | undefined;
    for (const t of this.deps.queue.all()) {
      if (!isFinal(t.state) || keyOf(t) !== key) continue;
      if (!best || t.updatedAt > best.updatedAt) best = t;
    }
    return best;
  }

  private async dropFinished(match: (t: TransferRecord) => boolean): Promise<void> {
    for (const t of this.deps.queue.all()) {
      if (t.owner !== SYNC_OWNER || !isFinal(t.state) || !match(t)) continue;
      await this.deps.scheduler.remove(t.id).catch((e: unknown) => {
        if (!(e instanceof FerryError && e.code === 'NOT_FOUND')) throw e;
      });
    }
  }
}

/** The job key of a device-sync record; null for anything else (or a record without a valid spec). */
function keyOf(t: TransferRecord): string | null {
  if (t.kind !== 'device-sync') return null;
  try {
    return jobKey(jobSpec(t));
  } catch {
    return null;
  }
}

export async function sha256File(abs: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(abs)) h.update(chunk as Buffer);
  return h.digest('hex');
}
