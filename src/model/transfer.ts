// The transfer as stored, decided and served. Field names follow ../shared/API.md (the public contract);
// `resume` and `nextAttemptAt` are internal and never leave the agent.

export type TransferState = 'queued' | 'waiting' | 'running' | 'paused' | 'completed' | 'failed' | 'cancelled';
export const FINAL_STATES: readonly TransferState[] = ['completed', 'failed', 'cancelled'];
export type Method = 'GET' | 'POST' | 'PUT';
export type Direction = 'download' | 'upload';
export type Preferences = 'none' | 'allowCellular' | 'allowBattery' | 'allowCellularAndBattery';
export type Kind = 'http' | 'device-sync';

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

/** What the HTTP engine needs to resume after a restart; written as soon as it is learnt. */
export interface ResumeState {
  etag?: string;
  lastModified?: string;
  tusUrl?: string;
  /** HTTP download: bytes of the part file known to be fsynced; a longer part is cut back to this… */
  partBytes?: number;
  /** …unless the machine has not rebooted since (same kernel boot id): then the page cache kept it all. */
  partBoot?: string;
  /** tus upload: identity of the source the upload was created for (dev:ino:size:mtime:ctime). */
  tusSource?: string;
  /** Device sync: the last offset the device confirmed (push) or that is on disk (pull). */
  deviceOffset?: number;
  /** Device sync, image push: hex SHA-256 of the image being uploaded (resume only the same image). */
  imageSha?: string;
  /** Device sync, image push: the step reached (upload → tested → reset → confirmed). */
  imageStage?: string;
  /** Device sync, image push: hex hash of the uploaded image as the device reports it in its slot. */
  imageHash?: string;
}

/**
 * Who asked, for the file rule (transfer/file-scope.ts): the caller's uid (its groups are looked up
 * when checked) and its starting folder relative to the root ('' = the whole root, for admins).
 */
export interface TransferAccess {
  uid: number;
  folder: string;
}

export interface TransferRecord {
  id: string;
  kind: Kind;
  owner: string;
  url: string;
  method: Method;
  direction: Direction;
  /** Relative to the transfers root, normalised, no leading slash. */
  path: string;
  protocol: 'plain' | 'tus';
  headers: Record<string, string>;
  preferences: Preferences;
  constraints: Constraints;
  userInitiated: boolean;
  expedited: boolean;
  sha256: string | null;
  retry: RetryPolicy;
  periodicMinutes: number | null;
  tag: string | null;
  state: TransferState;
  reasons: Reason[];
  bytesTransferred: number;
  totalBytes: number | null;
  attempts: number;
  createdAt: string;
  updatedAt: string;
  error: { code: string; message: string } | null;
  /** The last failed attempt while retries remain (why it is backing off). */
  lastError: { code: string; message: string } | null;
  warnings: Warning[];
  resume: ResumeState;
  /** ISO time before which a retry must not start (backoff or Retry-After). */
  nextAttemptAt: string | null;
  /** Device-sync jobs: which device and what to do (opaque to the HTTP parts). */
  device: Record<string, unknown> | null;
  /** The client's rights on local files; absent for the agent's own jobs (never served). */
  access?: TransferAccess | null;
}

/** A transfer as the API serves it (API.md "Transfer"): the record without request headers (they may
 * carry secrets) and internal resume state. The agent builds it, ferryctl reads it. */
export type PublicTransfer = Omit<TransferRecord, 'headers' | 'resume' | 'device' | 'access'> & { device?: Record<string, unknown> };

/** The public view of a transfer (API.md "Transfer"). */
export function publicTransfer(t: TransferRecord): PublicTransfer {
  return {
    id: t.id,
    kind: t.kind,
    owner: t.owner,
    url: t.url,
    method: t.method,
    direction: t.direction,
    path: t.path,
    protocol: t.protocol,
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
    ...(t.device ? { device: t.device } : {}),
  };
}

export function isFinal(s: TransferState): boolean {
  return FINAL_STATES.includes(s);
}

/** The lifecycle fields of a job that has just been queued: one place, for every kind of job. */
export function newJobState(iso: string): Pick<
  TransferRecord,
  'state' | 'reasons' | 'bytesTransferred' | 'attempts' | 'createdAt' | 'updatedAt' | 'error' | 'lastError' | 'warnings' | 'resume' | 'nextAttemptAt'
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
  };
}
