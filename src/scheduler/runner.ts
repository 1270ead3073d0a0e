// What the scheduler needs from whatever moves the bytes of a job, one runner per kind: the HTTP engine
// for `http` transfers, the device-sync runner for `device-sync` jobs. One attempt at a time per job.
import type { AttemptCallbacks, AttemptResult } from '../model/attempt.js';
import type { DeviceJob, DeviceSyncResult, HttpJob, Reason } from '../model/job.js';

export type { AttemptCallbacks, AttemptResult };

export interface AttemptRunner<J, D = undefined> {
  runAttempt(job: J, signal: AbortSignal, cb: AttemptCallbacks): Promise<AttemptResult<D>>;
  /** Drops what a cancelled job left behind (partial files); optional. */
  discard?(job: J): Promise<void>;
  /** Learns a job's size without moving its bytes (an HTTP HEAD); optional. */
  probe?(job: J, signal: AbortSignal): Promise<{ totalBytes: number | null }>;
}

/** The runner of each kind of job; a kind without one fails its jobs with UNAVAILABLE. */
export interface Runners {
  http?: AttemptRunner<HttpJob>;
  'device-sync'?: AttemptRunner<DeviceJob, DeviceSyncResult>;
}

/** Why the scheduler stopped a running attempt; the runner only sees an aborted signal. */
export type StopCause =
  | { by: 'client-pause' }
  | { by: 'client-cancel' }
  /** `until`: the cost hold's end (window opening, new day), recorded as nextAttemptAt with the stop. */
  | { by: 'policy'; reasons: Reason[]; fail?: Reason; until?: number }
  | { by: 'shutdown' };
