// What the scheduler needs from whatever moves the bytes of a job: the HTTP engine for `http`
// transfers, the device-sync runner for `device-sync` jobs. One attempt at a time per job.
import type { FerryError } from '../errors.js';
import type { ResumeState, TransferRecord, Warning } from '../model/transfer.js';

export interface AttemptCallbacks {
  onProgress(bytesTransferred: number, totalBytes: number | null): void;
  onResumeState(r: ResumeState): void;
  onWarning(w: Warning): void;
}

export type AttemptResult =
  | { outcome: 'completed'; bytesTransferred: number; totalBytes: number }
  | { outcome: 'retry'; error: FerryError; retryAfterMs: number | null; bytesTransferred: number }
  | { outcome: 'failed'; error: FerryError }
  | { outcome: 'aborted'; bytesTransferred: number };

export interface AttemptRunner {
  runAttempt(t: TransferRecord, signal: AbortSignal, cb: AttemptCallbacks): Promise<AttemptResult>;
  /** Drops what a cancelled job left behind (partial files); optional. */
  discard?(t: TransferRecord): Promise<void>;
}

/** Why the scheduler stopped a running attempt; the runner only sees an aborted signal. */
export type StopCause =
  | { by: 'client-pause' }
  | { by: 'client-cancel' }
  | { by: 'policy'; reasons: Array<{ code: string; message: string }> }
  | { by: 'shutdown' };
