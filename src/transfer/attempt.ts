// Types shared by the engine's attempt runners (download, plain upload, tus upload); the attempt's
// callbacks and result are the model's (src/model/attempt.ts).
import type { Logger } from '../log.js';
import type { Config } from '../config/schema.js';
import type { Dispatcher } from 'undici';
import type { Pacer, Throttle } from './throttle.js';

export interface EngineDeps {
  transfers: Config['transfers'];
  transfersRoot: string;
  log: Logger;
  now?: () => number;
  /** Bandwidth limits and byte accounting: one pacer per attempt sees every body chunk. */
  throttle?: Throttle;
}

export type { AttemptCallbacks, AttemptResult } from '../model/attempt.js';

/** What a runner gets from the engine besides the transfer itself. */
export interface RunContext {
  dispatcher: Dispatcher;
  transfers: Config['transfers'];
  now: () => number;
  /** Absolute local path, already checked to be inside the root. */
  abs: string;
  /** Every body chunk goes through it (limits, accounting); null when the agent has none. */
  pace: Pacer | null;
}
