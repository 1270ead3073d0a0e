// What the scheduler needs from whatever moves the bytes of a job: the HTTP engine for `http`
// transfers, the device-sync runner for `device-sync` jobs. One attempt at a time per job.
import type { AttemptCallbacks, AttemptResult } from '../model/attempt.js';
import type { TransferRecord } from '../model/transfer.js';

export type { AttemptCallbacks, AttemptResult };

export interface AttemptRunner {
  runAttempt(t: TransferRecord, signal: AbortSignal, cb: AttemptCallbacks): Promise<AttemptResult>;
  /** Drops what a cancelled job left behind (partial files); optional. */
  discard?(t: TransferRecord): Promise<void>;
  /** Learns a job's size without moving its bytes (an HTTP HEAD); optional. */
  probe?(t: TransferRecord, signal: AbortSignal): Promise<{ totalBytes: number | null }>;
}

/** Why the scheduler stopped a running attempt; the runner only sees an aborted signal. */
export type StopCause =
  | { by: 'client-pause' }
  | { by: 'client-cancel' }
  | { by: 'policy'; reasons: Array<{ code: string; message: string }> }
  | { by: 'shutdown' };
