// Reads one stored row back into a typed job. Rows written by older versions are brought to the current
// shape; a row that is not a job at all is reported (null), never allowed to stop the agent at start.
import type { DeviceJob, HttpJob, Job } from '../model/job.js';

type Row = Record<string, unknown>;

const isObj = (v: unknown): v is Row => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isTime = (v: unknown): boolean => isStr(v) && Number.isFinite(Date.parse(v));

function isCommon(r: Row): boolean {
  return (
    isStr(r.id) && isStr(r.owner) && isStr(r.url) && isStr(r.path) && isStr(r.state) &&
    isNum(r.bytesTransferred) && isNum(r.attempts) && isNum(r.seq) && (r.totalBytes === null || isNum(r.totalBytes)) &&
    isObj(r.constraints) && isObj(r.retry) && isObj(r.resume) && Array.isArray(r.reasons) && Array.isArray(r.warnings) &&
    isTime(r.createdAt) && isTime(r.updatedAt) && (r.nextAttemptAt === null || isTime(r.nextAttemptAt)) &&
    // Out-of-range values (a period no clock can add) are kept: such a job fails alone when it is settled.
    (r.periodicMinutes === null || isNum(r.periodicMinutes)) &&
    (r.window === null || isStr(r.window))
  );
}

function isDeviceJob(r: Row): r is Row & DeviceJob {
  const d = r.device;
  return r.kind === 'device-sync' && isCommon(r) && isObj(d) && isStr(d.id) && isStr(d.op) && isStr(d.remote) && isObj(d.item);
}

function isHttpJob(r: Row): r is Row & HttpJob {
  return r.kind === 'http' && isCommon(r) && isObj(r.headers) && (r.protocol === 'plain' || r.protocol === 'tus');
}

export function fromStoredRow(data: string): Job | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return null;
  }
  if (!isObj(parsed)) return null;
  // Fields added after the first schema get their defaults.
  const r: Row = { seq: 0, resume: {}, lastError: null, nextAttemptAt: null, periodicMinutes: null, window: null, ...parsed };
  if (r.kind === 'device-sync') {
    // Before the typed job model, device jobs carried empty HTTP fields.
    delete r.headers;
    delete r.protocol;
    return isDeviceJob(r) ? r : null;
  }
  delete r.device;
  return isHttpJob(r) ? r : null;
}
