// A job's public state from its transfers, and the status message (API.md "Fleet over MQTT"). Pure.
import type { FleetTransfer } from './fleet-queue.js';
import type { JobRow } from './fleet-store.js';

export interface JobStatus {
  job: string;
  state: string;
  transfers: Array<Pick<FleetTransfer, 'id' | 'state' | 'bytesTransferred' | 'totalBytes' | 'reasons' | 'error'>>;
  error?: { code: string; message: string; field?: string };
  updatedAt: string;
}

const FINAL = new Set(['completed', 'failed', 'cancelled']);

/** A transfer the job holds but the queue no longer has (removed on the gateway). */
const gone = (id: string): FleetTransfer => ({
  id,
  state: 'failed',
  bytesTransferred: 0,
  totalBytes: null,
  reasons: [],
  error: { code: 'NOT_FOUND', message: 'the transfer was removed on the gateway' },
});

export function jobTransfers(row: JobRow, get: (id: string) => FleetTransfer | undefined): FleetTransfer[] {
  return row.transfers.map((id) => get(id) ?? gone(id));
}

/** The job's state and error from its transfers (for rows whose work is queued). */
export function deriveState(ts: FleetTransfer[]): { state: string; error: { code: string; message: string } | null } {
  if (ts.every((t) => t.state === 'completed')) return { state: 'completed', error: null };
  if (ts.every((t) => FINAL.has(t.state))) {
    const bad = ts.find((t) => t.state !== 'completed')!;
    return { state: 'failed', error: bad.error ?? { code: 'CANCELLED', message: `transfer ${bad.id} was cancelled on the gateway` } };
  }
  for (const s of ['running', 'paused', 'waiting']) if (ts.some((t) => t.state === s)) return { state: s, error: null };
  return { state: 'queued', error: null };
}

export function statusMessage(row: JobRow, ts: FleetTransfer[], updatedAt: string): JobStatus {
  return {
    job: row.jobId,
    state: row.state,
    transfers: ts.map((t) => ({ id: t.id, state: t.state, bytesTransferred: t.bytesTransferred, totalBytes: t.totalBytes, reasons: t.reasons, error: t.error })),
    ...(row.error ? { error: row.error } : {}),
    updatedAt,
  };
}

/** What counts as a state change (published at once) as opposed to progress (rate-limited). */
export function stateKey(s: JobStatus): string {
  return JSON.stringify([s.state, s.error?.code ?? null, s.transfers.map((t) => [t.id, t.state, t.error?.code ?? null, t.reasons.map((r) => r.code)])]);
}
