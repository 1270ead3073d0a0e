// Runs one attempt of a device-sync job for the scheduler (AttemptRunner): takes the device's turn,
// pulls or pushes within the job's time budget, reports confirmed offsets, and turns what went wrong
// into an outcome. A dropped link marks the device absent, so the policy holds the job with
// `device-disconnected` until the device is seen again; then it resumes from the last confirmed offset.
import type { Logger } from 'pino';
import { isTransportError, type TransportError } from '../../drivers/transport.js';
import type { Config } from '../config/schema.js';
import type { DeviceConfig, DevicePullConfig, DevicePushConfig } from '../config/sections/devices.js';
import { FerryError, isFerryError } from '../errors.js';
import type { DeviceJob, DeviceJobSpec, DeviceSyncResult, ResumeState } from '../model/job.js';
import type { AttemptCallbacks, AttemptResult, AttemptRunner } from '../scheduler/runner.js';
import { currentBootId, removePart } from '../transfer/part-file.js';
import { resolveInsideRoot } from '../transfer/request-checks.js';
import { isSmpError } from './smp/smp-errors.js';
import { deviceError } from './device-errors.js';
import type { DeviceLinks } from './device-link.js';
import type { DevicePresenceTracker } from './device-presence.js';
import { pullFile, type PullResult } from './device-pull.js';
import { pushFile, pushImage } from './device-push.js';

export interface DeviceRunnerDeps {
  config: () => Config;
  /** The devices device sync runs with (read at start). */
  devices: () => readonly DeviceConfig[];
  links: DeviceLinks;
  presence: DevicePresenceTracker;
  log: Logger;
  /** Called after a pull that brought new data; returns the id of a chained upload, if one was queued. */
  afterPull?: (t: DeviceJob, result: PullResult) => Promise<string | null>;
  now?: () => number;
}

const RESUME_FLUSH_MS = 1000;

type DeviceResult = AttemptResult<DeviceSyncResult>;

export function createDeviceRunner(deps: DeviceRunnerDeps): AttemptRunner<DeviceJob, DeviceSyncResult> {
  const log = deps.log.child({ component: 'device-sync' });
  const now = deps.now ?? Date.now;

  async function runAttempt(t: DeviceJob, signal: AbortSignal, cb: AttemptCallbacks): Promise<DeviceResult> {
    const spec = t.device;
    const cfg = deps.config();
    const dev = deps.devices().find((d) => d.id === spec.id);
    if (!dev) return { outcome: 'failed', error: new FerryError('DEVICE_NOT_FOUND', `device ${spec.id} is no longer configured`) };
    let bytes = t.bytesTransferred;
    const budget = new AbortController();
    const budgetTimer = setTimeout(
      () => budget.abort(new FerryError('DEVICE_TIMEOUT', `used its ${dev.budgetS} s time budget; continues in the next session`)),
      dev.budgetS * 1000,
    );
    budgetTimer.unref();
    const both = AbortSignal.any([signal, budget.signal]);
    const resume = resumeWriter(cb, now);
    const progress = (b: number, total: number | null) => {
      bytes = b;
      cb.onProgress(b, total);
    };
    const started = now();
    try {
      const lease = await deps.links.acquire(dev, both);
      try {
        deps.presence.markPresent(dev.id);
        const op = await runOp(t, spec, cfg.transfersRoot, lease, both, progress, resume.put);
        resume.flush();
        const detail: DeviceSyncResult = { ...op.result, at: new Date(now()).toISOString(), ms: now() - started };
        if (op.pull && deps.afterPull && op.pull.changed) {
          const upload = await deps.afterPull(t, op.pull).catch((e: unknown) => {
            cb.onWarning({ code: 'chained-upload-not-queued', message: `the pulled file was not queued for upload: ${(e as Error).message}` });
            return null;
          });
          if (upload) detail.upload = upload;
        }
        return { outcome: 'completed', bytesTransferred: bytes, totalBytes: Math.max(bytes, detail.length), detail };
      } finally {
        lease.release();
      }
    } catch (e) {
      resume.flush();
      return outcomeOf(e, dev, signal, budget.signal, bytes);
    } finally {
      clearTimeout(budgetTimer);
    }
  }

  function outcomeOf(e: unknown, dev: DeviceConfig, signal: AbortSignal, budget: AbortSignal, bytes: number): DeviceResult {
    if (signal.aborted) return { outcome: 'aborted', bytesTransferred: bytes };
    if (budget.aborted) {
      const err = budget.reason instanceof FerryError ? budget.reason : new FerryError('DEVICE_TIMEOUT', 'time budget used');
      return { outcome: 'retry', error: err, retryAfterMs: null, bytesTransferred: bytes };
    }
    if (isTransportError(e)) return transportOutcome(e, dev, bytes);
    if (isSmpError(e)) return { outcome: 'failed', error: e };
    if (isFerryError(e)) {
      const final = ['FILE_NOT_FOUND', 'TOO_LARGE', 'DEVICE_ERROR', 'PATH_OUTSIDE_ROOT', 'BAD_REQUEST', 'UNAVAILABLE', 'INTERNAL'];
      if (final.includes(e.code)) return { outcome: 'failed', error: e };
      return { outcome: 'retry', error: e, retryAfterMs: null, bytesTransferred: bytes };
    }
    const io = new FerryError('IO_ERROR', (e as Error)?.message ?? String(e), { cause: e });
    return { outcome: 'retry', error: io, retryAfterMs: null, bytesTransferred: bytes };
  }

  /** Every driver failure is retried; what differs is what happens to the link and the device's presence. */
  function transportOutcome(e: TransportError, dev: DeviceConfig, bytes: number): DeviceResult {
    switch (e.code) {
      case 'DISCONNECTED':
      case 'NOT_FOUND':
        log.info({ device: dev.id, reason: e.message }, 'device lost during sync');
        void deps.links.drop(dev.id);
        // Re-decides at once: this job and the device's other ones wait with device-disconnected.
        deps.presence.markAbsent(dev.id, e.message);
        break;
      case 'BUSY':
      case 'UNAVAILABLE':
        break;
      default:
        void deps.links.drop(dev.id);
    }
    return { outcome: 'retry', error: deviceError(e), retryAfterMs: null, bytesTransferred: bytes };
  }

  return {
    runAttempt,
    async discard(t) {
      if (t.direction === 'download') removePart(deps.config().transfersRoot, t.id);
    },
  };
}

type Lease = Awaited<ReturnType<DeviceLinks['acquire']>>;

type OpResult = Omit<DeviceSyncResult, 'at' | 'ms' | 'upload'>;

async function runOp(
  t: DeviceJob,
  spec: DeviceJobSpec,
  root: string,
  lease: Lease,
  signal: AbortSignal,
  onProgress: (b: number, total: number | null) => void,
  onResume: (r: ResumeState) => void,
): Promise<{ result: OpResult; pull?: PullResult }> {
  const { abs } = await resolveInsideRoot(root, t.path);
  if (spec.op === 'pull') {
    const item = spec.item as DevicePullConfig;
    const r = await pullFile({
      client: lease.client, remote: spec.remote, root, rel: t.path, id: t.id, hash: item.hash, skipUnchanged: item.skipUnchanged,
      signal, onProgress, onCheckpoint: (off) => onResume({ deviceOffset: off, partBoot: currentBootId() }),
      recorded: { partBytes: t.resume.deviceOffset, partBoot: t.resume.partBoot },
    });
    return { result: { ...r }, pull: r };
  }
  const item = spec.item as DevicePushConfig;
  const onPushProgress = (b: number, total: number) => onProgress(b, total);
  if (spec.op === 'push-file') {
    const r = await pushFile(lease.client, {
      local: abs, remote: spec.remote, hash: 'auto', offset: t.resume.deviceOffset ?? 0,
      signal, onProgress: onPushProgress, onResume,
    });
    return { result: { ...r } };
  }
  const r = await pushImage(lease, {
    local: abs, image: item.image, test: item.test, reset: item.reset, confirm: item.confirm,
    resume: t.resume, signal, onProgress: onPushProgress, onResume,
  });
  return { result: { ...r, changed: true } };
}

/** Merges resume updates and hands them to the scheduler at most once a second (each is a durable write), at once when an image step changes. */
function resumeWriter(cb: AttemptCallbacks, now: () => number): { put(r: ResumeState): void; flush(): void } {
  let pending: ResumeState | null = null;
  let lastAt = 0;
  const flush = () => {
    if (!pending) return;
    const r = pending;
    pending = null;
    lastAt = now();
    cb.onResumeState(r);
  };
  return {
    put(r) {
      pending = { ...pending, ...r };
      if (r.imageStage !== undefined || now() - lastAt >= RESUME_FLUSH_MS) flush();
    },
    flush,
  };
}
