// Types shared by the engine's attempt runners (download, plain upload, tus upload).
// An attempt ends in exactly one AttemptResult; runners never throw for transfer problems.
import type { Logger } from '../log.js';
import type { Config } from '../config/schema.js';
import type { FerryError } from '../errors.js';
import type { ResumeState, Warning } from '../model/transfer.js';
import type { Dispatcher } from 'undici';

export interface EngineDeps {
  transfers: Config['transfers'];
  transfersRoot: string;
  log: Logger;
  now?: () => number;
}

export interface AttemptCallbacks {
  /** Called on any chunk; the caller throttles persistence. */
  onProgress(bytesTransferred: number, totalBytes: number | null): void;
  /**
   * Persist at once: validators, tus upload URL. `r` is the complete new state; keys that no longer
   * apply come as explicit `undefined`, so replacing and merging (`{...old, ...r}`) both work.
   */
  onResumeState(r: ResumeState): void;
  onWarning(w: Warning): void;
}

export type AttemptResult =
  | { outcome: 'completed'; bytesTransferred: number; totalBytes: number }
  | { outcome: 'retry'; error: FerryError; retryAfterMs: number | null; bytesTransferred: number }
  | { outcome: 'failed'; error: FerryError }
  | { outcome: 'aborted'; bytesTransferred: number };

/** What a runner gets from the engine besides the transfer itself. */
export interface RunContext {
  dispatcher: Dispatcher;
  transfers: Config['transfers'];
  now: () => number;
  /** Absolute local path, already checked to be inside the root. */
  abs: string;
}
