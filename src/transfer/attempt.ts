// Types shared by the engine's attempt runners (download, plain upload, tus upload); the attempt's
// callbacks and result are the model's (src/model/attempt.ts).
import type { Logger } from '../log.js';
import type { Config } from '../config/schema.js';
import type { FileScope } from './file-scope.js';
import type { Pacer, Throttle } from './throttle.js';
import type { SendOne } from './follow-redirects.js';
import type { BodySource, FileSender } from './http1/http1-client.js';

export interface EngineDeps {
  transfers: Config['transfers'];
  transfersRoot: string;
  log: Logger;
  now?: () => number;
  /** Bandwidth limits and byte accounting: one pacer per attempt sees every body chunk. */
  throttle?: Throttle;
  /** sendfile for upload bodies over plain HTTP: the addon's (system/native.ts) unless a test passes its own. */
  fileSender?: FileSender;
}

export type { AttemptCallbacks, AttemptResult } from '../model/attempt.js';

/** What a runner gets from the engine besides the transfer itself. */
export interface RunContext {
  /** Every request of an attempt: the engine's HTTP/1.1 client (http1/), connections kept across attempts. */
  send: SendOne<BodySource>;
  transfers: Config['transfers'];
  now: () => number;
  /** Absolute local path, already checked to be inside the root (names, messages, never opened). */
  abs: string;
  /** The held transfers root and the caller's rights: every local open goes through it. */
  scope: FileScope;
  /** Every body chunk goes through it (limits, accounting); null when the agent has none. */
  pace: Pacer | null;
}
