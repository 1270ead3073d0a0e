// Device sync as one part of the agent (POLICY.md §6): presence of the configured devices, the runner the
// scheduler uses for `device-sync` jobs, the triggers that queue them (on connect, every N minutes, on
// demand), `lines` captures, and what GET /v1/devices shows. Devices are read from the config at start;
// changes to them take effect on restart.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { DeviceConfig, DevicePullConfig } from '../config/sections/devices.js';
import type { ConditionsSource } from '../conditions/snapshot.js';
import { FerryError } from '../errors.js';
import type { DeviceJob, DeviceSyncResult, Job } from '../model/job.js';
import type { Principal } from '../model/principal.js';
import type { JobQueue } from '../queue/job-queue.js';
import type { AttemptRunner } from '../scheduler/runner.js';
import { withDevicePresence } from './device-conditions.js';
import { DeviceEnqueuer, SYNC_OWNER } from './device-enqueue.js';
import type { DeviceHardware } from './device-hardware.js';
import { DeviceLinks } from './device-link.js';
import { DevicePresenceTracker, type DevicePresence } from './device-presence.js';
import { createDeviceRunner } from './device-runner.js';
import { createLineTransport, createSmpTransport } from './device-transports.js';
import { deviceViews, seenSerialPorts, type DeviceView } from './device-view.js';
import { LinesCapture } from './lines-capture.js';
import type { PullResult } from './device-pull.js';

export interface DeviceSyncOptions {
  config: () => Config;
  /** Where sync jobs and chained uploads are queued (the queue exists before device sync). */
  queue: JobQueue;
  hw: DeviceHardware;
  log: Logger;
  now?: () => number;
  /** After a job lost a device whose node stayed, try again after this long (default 10 s). */
  recheckMs?: number;
  /** Idle transports stay open this long for the next job (default 3 s). */
  lingerMs?: number;
}

export class DeviceSync {
  readonly runner: AttemptRunner<DeviceJob, DeviceSyncResult>;
  readonly presence: DevicePresenceTracker;
  private readonly devices: DeviceConfig[];
  private readonly links: DeviceLinks;
  private readonly captures = new Map<string, LinesCapture>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly enqueuer: DeviceEnqueuer;
  private conditions: ConditionsSource | null = null;
  private unsubscribe: (() => void) | null = null;

  private constructor(private readonly opts: DeviceSyncOptions) {
    this.now = opts.now ?? Date.now;
    this.log = opts.log.child({ component: 'device-sync' });
    this.devices = [...opts.config().devices];
    this.presence = new DevicePresenceTracker({
      devices: this.devices, hw: opts.hw, log: opts.log, now: this.now, ...(opts.recheckMs ? { recheckMs: opts.recheckMs } : {}),
    });
    this.links = new DeviceLinks({ createTransport: (d) => createSmpTransport(d, opts.hw, opts.log), log: opts.log, ...(opts.lingerMs ? { lingerMs: opts.lingerMs } : {}) });
    this.runner = createDeviceRunner({
      config: opts.config, devices: () => this.devices, links: this.links, presence: this.presence, log: opts.log, now: this.now,
      afterPull: (t, r) => this.afterPull(t, r),
    });
    this.enqueuer = new DeviceEnqueuer({ queue: opts.queue, config: opts.config, log: this.log, now: this.now });
  }

  /** Looks at every device once (so the first decision pass knows who is there), then keeps watching. */
  static async create(opts: DeviceSyncOptions): Promise<DeviceSync> {
    const s = new DeviceSync(opts);
    await s.presence.start();
    return s;
  }

  /** The agent's conditions plus `devices` presence; give this one to the scheduler. */
  wrapConditions(inner: ConditionsSource): ConditionsSource {
    this.conditions = withDevicePresence(inner, this.presence);
    return this.conditions;
  }

  /** Starts the triggers and captures (after the scheduler, so their jobs are decided as they come). */
  async start(): Promise<void> {
    // A refused removal (full or read-only state disk) is logged, never thrown from the listener; the record goes at the next start.
    this.unsubscribe = this.opts.queue.subscribe((e) => {
      if (e.type === 'changed' && isSpoolDone(e.job)) this.spoolUploaded(e.job).catch((err: unknown) => this.log.warn({ transfer: e.job.id, err: (err as Error)?.message }, 'uploaded spool record not removed'));
    });
    for (const t of this.opts.queue.all()) if (isSpoolDone(t)) await this.spoolUploaded(t).catch(() => undefined);
    this.presence.on('change', (id: string, p: DevicePresence) => void this.onPresence(id, p));
    for (const d of this.devices) {
      const p = this.presence.get(d.id);
      if (!p || p.state === 'invalid' || p.state === 'unavailable') continue;
      if (d.protocol === 'lines') {
        const cap = this.capture(d);
        await cap.recover();
        if (p.state === 'present') void cap.start();
        continue;
      }
      if (d.when.onConnect && (p.state === 'present' || p.state === 'unknown')) void this.trigger(d, 'start');
      if (d.when.everyMinutes) {
        const t = setInterval(() => void this.trigger(d, 'timer'), d.when.everyMinutes * 60_000);
        t.unref();
        this.timers.push(t);
      }
    }
  }

  /** GET /v1/devices; `visible` keeps a non-admin caller to its own jobs. */
  async list(visible: (t: Job) => boolean = () => true): Promise<{ devices: DeviceView[]; seen: Awaited<ReturnType<typeof seenSerialPorts>> }> {
    const jobs = this.opts.queue.all().filter(visible);
    return {
      devices: deviceViews(this.devices, this.presence, jobs, this.captures),
      seen: await seenSerialPorts(this.devices, this.opts.hw),
    };
  }

  /** POST /v1/devices/{id}/sync: queues the device's pulls and pushes now (a lines device rotates its spool). */
  async syncNow(id: string, by: Principal, userInitiated = true): Promise<{ device: string; transfers: Job[]; rotated: string | null }> {
    const d = this.devices.find((x) => x.id === id);
    if (!d) throw new FerryError('DEVICE_NOT_FOUND', `no configured device ${id}`);
    const p = this.presence.get(id);
    if (p?.state === 'invalid') throw new FerryError('CONFIG_INVALID', `device ${id} is misconfigured: ${p.reason ?? ''}`);
    if (p?.state === 'unavailable') throw new FerryError('UNAVAILABLE', `device ${id} is unavailable: ${p.reason ?? ''}`);
    if (!d.when.onDemand) throw new FerryError('FORBIDDEN', `device ${id} does not allow on-demand sync (when.onDemand is false)`);
    if (d.protocol === 'lines') {
      const rotated = (await this.captures.get(id)?.rotate()) ?? null;
      return { device: id, transfers: [], rotated };
    }
    const transfers = await this.enqueuer.syncDevice(d, by, userInitiated);
    return { device: id, transfers, rotated: null };
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.unsubscribe?.();
    await Promise.all([...this.captures.values()].map((c) => c.close()));
    await this.links.closeAll();
    this.presence.close();
    await this.conditions?.close();
  }

  private async trigger(d: DeviceConfig, why: string): Promise<void> {
    const p = this.presence.get(d.id);
    if (!p || p.state === 'invalid' || p.state === 'unavailable') return;
    try {
      const jobs = await this.enqueuer.syncDevice(d);
      this.log.debug({ device: d.id, why, jobs: jobs.length }, 'sync triggered');
    } catch (e) {
      this.log.warn({ device: d.id, why, err: (e as Error).message }, 'sync trigger failed');
    }
  }

  private async onPresence(id: string, p: DevicePresence): Promise<void> {
    const d = this.devices.find((x) => x.id === id);
    if (!d) return;
    if (d.protocol === 'lines') {
      const cap = this.captures.get(id);
      if (p.state === 'present') await cap?.start();
      else if (p.state === 'absent') await cap?.stop();
      return;
    }
    if (p.state === 'present' && d.when.onConnect) await this.trigger(d, 'connect');
  }

  private capture(d: DeviceConfig): LinesCapture {
    const cap = new LinesCapture({
      device: d,
      transfersRoot: this.opts.config().transfersRoot,
      createTransport: () => createLineTransport(d, this.opts.hw),
      onRotated: async (rel) => {
        if (d.lines.upload) await this.enqueuer.chainUpload(d.id, rel, d.lines.upload, linesTag(d.id));
      },
      onLost: (reason) => this.presence.markAbsent(d.id, reason),
      holdWrites: () => this.conditions?.current().storage.low ?? false,
      log: this.opts.log,
      now: this.now,
    });
    this.captures.set(d.id, cap);
    return cap;
  }

  private async afterPull(t: DeviceJob, r: PullResult): Promise<string | null> {
    const spec = t.device;
    if (!r.changed || !(spec.item as DevicePullConfig).upload) return null;
    // The job keeps only header names; the values (credentials) come from the config.
    const item = this.devices.find((d) => d.id === spec.id)?.pull.find((p) => p.remote === spec.remote);
    const up = item?.upload;
    if (!up) return null;
    return this.enqueuer.chainUpload(spec.id, t.path, up);
  }

  /** A spool file is uploaded: it leaves the gateway, and so does its finished record. */
  private async spoolUploaded(t: Job): Promise<void> {
    const root = this.opts.config().transfersRoot;
    await rm(path.join(root, t.path), { force: true }).catch(() => undefined);
    this.opts.queue.remove(t.id);
    this.log.info({ file: t.path, transfer: t.id }, 'spool file uploaded and removed');
  }
}

function isSpoolDone(t: Job): boolean {
  return t.state === 'completed' && t.owner === SYNC_OWNER && t.tag?.startsWith(LINES_TAG_PREFIX) === true;
}

const LINES_TAG_PREFIX = 'device-lines:';

export function linesTag(deviceId: string): string {
  return `${LINES_TAG_PREFIX}${deviceId}`;
}
