// A fleet job document (API.md "Fleet over MQTT"): exactly one of `transfer` (a transfer request, checked
// later by the socket API's own validator) or `sync` (a device id), optional notBefore/notAfter. Pure.
import { createHash } from 'node:crypto';
import { FLEET_ID_PATTERN } from '../config/sections/fleet.js';
import { FerryError } from '../errors.js';

export const JOB_ID = new RegExp(FLEET_ID_PATTERN);

export type JobWork = { kind: 'transfer'; request: unknown } | { kind: 'sync'; deviceId: string };

export interface JobDocument {
  work: JobWork;
  notBefore: number | null;
  notAfter: number | null;
}

const KEYS = new Set(['transfer', 'sync', 'notBefore', 'notAfter']);

function time(doc: Record<string, unknown>, key: 'notBefore' | 'notAfter'): number | null {
  const v = doc[key];
  if (v === undefined || v === null) return null;
  const ms = typeof v === 'string' ? Date.parse(v) : NaN;
  if (!Number.isFinite(ms)) throw new FerryError('INVALID_FIELD', `${key} must be an ISO date-time`, { field: key });
  return ms;
}

/** Parses the payload; throws the FerryError the job is rejected with. */
export function parseJobDocument(payload: Buffer): JobDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString('utf8'));
  } catch (e) {
    throw new FerryError('INVALID_JSON', `the job document is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new FerryError('BAD_REQUEST', 'the job document must be a JSON object');
  const d = doc as Record<string, unknown>;
  const unknown = Object.keys(d).find((k) => !KEYS.has(k));
  if (unknown !== undefined) throw new FerryError('UNKNOWN_FIELD', `${unknown}: unknown field`, { field: unknown });
  if (('transfer' in d) === ('sync' in d)) throw new FerryError('BAD_REQUEST', 'a job has exactly one of "transfer" or "sync"');
  const notBefore = time(d, 'notBefore');
  const notAfter = time(d, 'notAfter');
  if (notBefore !== null && notAfter !== null && notAfter <= notBefore) {
    throw new FerryError('INVALID_FIELD', 'notAfter must be later than notBefore', { field: 'notAfter' });
  }
  if ('sync' in d) {
    if (typeof d.sync !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(d.sync)) {
      throw new FerryError('INVALID_FIELD', 'sync must be a device id', { field: 'sync' });
    }
    return { work: { kind: 'sync', deviceId: d.sync }, notBefore, notAfter };
  }
  return { work: { kind: 'transfer', request: d.transfer }, notBefore, notAfter };
}

/** Identity of a document: retained redelivery and QoS 1 duplicates carry the same bytes. */
export function documentHash(payload: Buffer): string {
  return createHash('sha256').update(payload).digest('hex');
}
