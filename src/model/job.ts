// What a job is: one typed record per piece of work, discriminated by `kind`. Field names follow
// ../shared/API.md (the public contract); `resume`, `headers` and `device.item` never leave the agent.
// Records handed out by the queue are never changed (not frozen: V8 copies frozen objects slowly); a change
// is a new record (queue/job-queue.ts, queue/job-record.ts).
import type { DevicePullConfig, DevicePushConfig } from '../config/sections/devices.js';
import type { Preferences } from './preferences.js';

export type JobState = 'queued' | 'waiting' | 'running' | 'paused' | 'completed' | 'failed' | 'cancelled';
export const FINAL_STATES: readonly JobState[] = ['completed', 'failed', 'cancelled'];
export { PREFERENCES, type Preferences } from './preferences.js';
export type Method = 'GET' | 'POST' | 'PUT';
export type Direction = 'download' | 'upload';
export type Kind = Job['kind'];

export interface Constraints {
  unmetered: boolean;
  charging: boolean;
  batteryNotLow: boolean;
  storageNotLow: boolean;
}

export interface RetryPolicy {
  backoff: 'exponential' | 'linear';
  initialDelayS: number;
  maxDelayS: number;
  maxAttempts: number;
}

/** A policy reason: data, not an error. `code` is stable kebab-case (POLICY.md §4). */
export interface Reason {
  code: string;
  message: string;
}

export interface Warning {
  code: string;
  message: string;
}

export interface JobError {
  code: string;
  message: string;
}

/** What a runner needs to resume after a restart; written as soon as it is learnt. */
export interface ResumeState {
  etag?: string;
  lastModified?: string;
  tusUrl?: string;
  /** Device sync: the last offset the device confirmed (push) or that is on disk (pull). */
  deviceOffset?: number;
  /** Device sync, image push: hex SHA-256 of the image being uploaded (resume only the same image). */
  imageSha?: string;
  /** Device sync, image push: the step reached (upload → tested → reset → confirmed). */
  imageStage?: string;
  /** Device sync, image push: hex hash of the uploaded image as the device reports it in its slot. */
  imageHash?: string;
  /** HTTP download: bytes of the part file known to be fsynced; a longer part is cut back to this… */
  partBytes?: number;
  /** …unless the machine has not rebooted since (same kernel boot id): then the page cache kept it all. */
  partBoot?: string;
  /** tus upload: identity of the source the upload was created for (dev:ino:size:mtime:ctime). */
  tusSource?: string;
}

/**
 * Who asked, for the file rule (transfer/file-scope.ts): the caller's uid (its groups are looked up
 * when checked) and its starting folder relative to the root ('' = the whole root, for admins).
 */
export interface TransferAccess {
  uid: number;
  folder: string;
}

/** The fields every kind of job has: what the policy decides on and what the API serves. */
export interface JobBase {
  id: string;
  owner: string;
  /** HTTP: the origin URL; device sync: `device://<id>/<remote>` (a display name for clients). */
  url: string;
  method: Method;
  direction: Direction;
  /** Relative to the transfers root, normalised, no leading slash. */
  path: string;
  preferences: Preferences;
  constraints: Constraints;
  userInitiated: boolean;
  expedited: boolean;
  sha256: string | null;
  retry: RetryPolicy;
  periodicMinutes: number | null;
  tag: string | null;
  /** A named window of policy.windows the job runs in (null: any time). */
  window: string | null;
  state: JobState;
  reasons: Reason[];
  bytesTransferred: number;
  totalBytes: number | null;
  attempts: number;
  createdAt: string;
  updatedAt: string;
  error: JobError | null;
  /** The last failed attempt while retries remain (why it is backing off). */
  lastError: JobError | null;
  warnings: Warning[];
  resume: ResumeState;
  /** ISO time before which a new attempt must not start (backoff, Retry-After, period). */
  nextAttemptAt: string | null;
  /** Bumped on every change the queue records: clients drop events older than what they hold. */
  seq: number;
  /** The client's rights on local files; absent for the agent's own jobs (never served). */
  access?: TransferAccess | null;
}

export interface HttpJob extends JobBase {
  kind: 'http';
  protocol: 'plain' | 'tus';
  /** Request headers; may carry credentials, never served. */
  headers: Record<string, string>;
}

export type DeviceOp = 'pull' | 'push-file' | 'push-image';

/** The outcome of a device job's last completed attempt (shown in GET /v1/devices and on the job). */
export interface DeviceSyncResult {
  length: number;
  changed: boolean;
  verifiedWith?: string | null;
  resumedFrom: number;
  stage?: string;
  imageHash?: string;
  at: string;
  ms: number;
  /** The chained upload queued for what was pulled. */
  upload?: string;
}

export interface DeviceJobSpec {
  /** The device id from the config. */
  id: string;
  op: DeviceOp;
  /** Remote file, or "image/<n>" for a firmware image. */
  remote: string;
  /** The config item the job came from (copied in, upload header values replaced by a marker). */
  item: DevicePullConfig | DevicePushConfig;
  /** Push: SHA-256 of the local file when queued (a later sync skips an image already pushed). */
  sha?: string;
  result?: DeviceSyncResult;
}

export interface DeviceJob extends JobBase {
  kind: 'device-sync';
  device: DeviceJobSpec;
}

export type Job = HttpJob | DeviceJob;

export function isFinal(s: JobState): boolean {
  return FINAL_STATES.includes(s);
}

/** The lifecycle fields of a job that has just been queued: one place, for every kind of job. */
export function newJobState(iso: string): Pick<
  JobBase,
  'state' | 'reasons' | 'bytesTransferred' | 'attempts' | 'createdAt' | 'updatedAt' | 'error' | 'lastError' | 'warnings' | 'resume' | 'nextAttemptAt' | 'seq'
> {
  return {
    state: 'queued',
    reasons: [],
    bytesTransferred: 0,
    attempts: 0,
    createdAt: iso,
    updatedAt: iso,
    error: null,
    lastError: null,
    warnings: [],
    resume: {},
    nextAttemptAt: null,
    seq: 0,
  };
}
