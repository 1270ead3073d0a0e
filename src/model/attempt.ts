// One attempt at a job, as every runner reports it (HTTP engine, device sync) and the scheduler reads it.
// An attempt ends in exactly one AttemptResult; runners never throw for transfer problems.
import type { FerryError } from '../errors.js';
import type { ResumeState, Warning } from './job.js';

export interface AttemptCallbacks {
  /** Called on any chunk; the caller throttles persistence. */
  onProgress(bytesTransferred: number, totalBytes: number | null): void;
  /**
   * Persist at once: validators, tus upload URL, device offsets. Keys that no longer apply come as
   * explicit `undefined`, so replacing and merging (`{...old, ...r}`) both work.
   */
  onResumeState(r: ResumeState): void;
  onWarning(w: Warning): void;
}

/** `D`: what a completed attempt of this kind reports beyond bytes (device sync: its result). */
export type AttemptResult<D = undefined> =
  | { outcome: 'completed'; bytesTransferred: number; totalBytes: number; detail?: D }
  | { outcome: 'retry'; error: FerryError; retryAfterMs: number | null; bytesTransferred: number }
  | { outcome: 'failed'; error: FerryError }
  | { outcome: 'aborted'; bytesTransferred: number };
