// How an attempt's end changes its job: a pure function of the job, the result, why it was stopped (if
// it was) and the time. The scheduler records what it returns through the queue.
import type { AttemptResult } from '../model/attempt.js';
import type { DeviceSyncResult, Job, JobError } from '../model/job.js';
import type { JobEventName } from '../model/transitions.js';
import { reason } from '../policy/reasons.js';
import { retryDelayMs } from './backoff.js';
import { isoAt } from './iso-time.js';
import type { StopCause } from './runner.js';

export interface Settled {
  event: JobEventName;
  change: Partial<Job>;
}

const FINISHED = { nextAttemptAt: null, reasons: [] };

/** Throws a FerryError when the job's own values put its next time out of range (the caller fails it). */
export function settle(job: Job, r: AttemptResult<DeviceSyncResult | undefined>, cause: StopCause | null, now: number): Settled {
  if (r.outcome === 'completed') {
    const done: Partial<Job> = {
      bytesTransferred: r.bytesTransferred,
      totalBytes: r.totalBytes,
      lastError: null,
      ...(job.kind === 'device-sync' && r.detail ? { device: { ...job.device, result: r.detail } } : {}),
    };
    if (job.periodicMinutes) {
      return {
        event: 'reschedule',
        change: { ...done, reasons: [], bytesTransferred: 0, resume: {}, nextAttemptAt: isoAt(now + job.periodicMinutes * 60_000, 'periodicMinutes') },
      };
    }
    return { event: 'complete', change: { ...done, ...FINISHED, error: null } };
  }
  if (r.outcome === 'failed') {
    return { event: 'fail', change: { ...FINISHED, bytesTransferred: job.bytesTransferred, totalBytes: job.totalBytes, error: r.error.toJSON() } };
  }
  if (r.outcome === 'retry' && !cause) {
    const lastError: JobError = { code: r.error.code, message: r.error.message };
    if (job.attempts >= job.retry.maxAttempts) {
      const error = { code: 'RETRIES_EXHAUSTED', message: `gave up after ${job.attempts} attempts; last: ${r.error.message}` };
      return { event: 'fail', change: { ...FINISHED, bytesTransferred: r.bytesTransferred, lastError, error } };
    }
    const until = now + retryDelayMs(job.retry, job.attempts, r.retryAfterMs);
    return {
      event: 'retry',
      change: { bytesTransferred: r.bytesTransferred, lastError, nextAttemptAt: isoAt(until, 'retry'), reasons: [reason('backoff-until', { untilMs: until })] },
    };
  }
  // Stopped on purpose (or failed while being stopped): the cause decides the state.
  const bytes = r.outcome === 'retry' || r.outcome === 'aborted' ? r.bytesTransferred : job.bytesTransferred;
  return stopped(job, cause ?? { by: 'shutdown' }, bytes, now);
}

function stopped(job: Job, cause: StopCause, bytesTransferred: number, now: number): Settled {
  switch (cause.by) {
    case 'client-pause':
      return { event: 'pause', change: { bytesTransferred, reasons: [] } };
    case 'client-cancel':
      return { event: 'cancel', change: { bytesTransferred, ...FINISHED } };
    case 'shutdown':
      return { event: 'requeue', change: { bytesTransferred, reasons: [] } };
    case 'policy': {
      if (cause.fail) return { event: 'fail', change: { bytesTransferred, ...FINISHED, error: { code: cause.fail.code, message: cause.fail.message } } };
      const slow = cause.reasons.some((x) => x.code === 'slow-transfer');
      const change: Partial<Job> = { bytesTransferred, reasons: cause.reasons };
      // The job waits with the whole answer at once: a client never sees a cost hold without its end.
      if (slow) change.nextAttemptAt = isoAt(now + retryDelayMs(job.retry, job.attempts, null), 'retry');
      else if (cause.until !== undefined) change.nextAttemptAt = isoAt(cause.until, 'window');
      return { event: 'policy-stop', change };
    }
  }
}
