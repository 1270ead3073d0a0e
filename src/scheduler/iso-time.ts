// A job's next time as an ISO string, or a FerryError naming the field that put it out of range: a Date
// holds ±8.64e15 ms, and a value past that (a poison record) must fail its job, not the agent.
import { FerryError } from '../errors.js';

export function isoAt(ms: number, field: string): string {
  const d = new Date(ms);
  if (!Number.isFinite(d.getTime())) {
    throw new FerryError('INVALID_FIELD', `${field} puts the next attempt out of range`, { field });
  }
  return d.toISOString();
}
