// The transfer as the API serves it (API.md "Transfer"): every kind of job in one shape, without request
// headers (they may carry secrets) and internal resume state. The agent builds it, ferryctl reads it.
import type { DeviceOp, DeviceSyncResult, Job, JobBase } from './job.js';

export type PublicTransfer = Omit<JobBase, 'resume'> & {
  kind: Job['kind'];
  protocol: 'plain' | 'tus';
  device?: { id: string; op: DeviceOp; remote: string; sha?: string; result?: DeviceSyncResult };
};

export function publicTransfer(t: Job): PublicTransfer {
  return {
    id: t.id,
    kind: t.kind,
    owner: t.owner,
    url: t.url,
    method: t.method,
    direction: t.direction,
    path: t.path,
    // A device job moves bytes with SMP, not HTTP; "plain" keeps the contract's two values.
    protocol: t.kind === 'http' ? t.protocol : 'plain',
    state: t.state,
    reasons: t.reasons,
    bytesTransferred: t.bytesTransferred,
    totalBytes: t.totalBytes,
    attempts: t.attempts,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    error: t.error,
    lastError: t.lastError,
    warnings: t.warnings,
    preferences: t.preferences,
    constraints: t.constraints,
    userInitiated: t.userInitiated,
    expedited: t.expedited,
    sha256: t.sha256,
    retry: t.retry,
    periodicMinutes: t.periodicMinutes,
    nextAttemptAt: t.nextAttemptAt,
    tag: t.tag,
    window: t.window,
    seq: t.seq,
    ...(t.kind === 'device-sync' ? { device: deviceView(t.device) } : {}),
  };
}

function deviceView(d: Extract<Job, { kind: 'device-sync' }>['device']): NonNullable<PublicTransfer['device']> {
  return {
    id: d.id,
    op: d.op,
    remote: d.remote,
    ...(d.sha ? { sha: d.sha } : {}),
    ...(d.result ? { result: d.result } : {}),
  };
}
