// The fleet bridge's own tables in the agent's SQLite store: one row per job (document hash, the local
// transfers it maps to, where it is in its life) and the outbox of status messages not yet acknowledged
// by the broker, one row per job (the latest wins). Every statement on these tables is here.
import type { Db } from '../queue/store.js';

/** scheduled: waits for notBefore; enqueuing: transfer ids chosen, not yet all queued; active; done. */
export type JobPhase = 'scheduled' | 'enqueuing' | 'active' | 'done';

export interface JobRow {
  jobId: string;
  /** The topic the document came from (own or a group's); only its empty payload withdraws the job. */
  source: string;
  hash: string;
  doc: string;
  phase: JobPhase;
  /** The public job state (API.md); for `done` the final one. */
  state: string;
  transfers: string[];
  error: { code: string; message: string; field?: string } | null;
  notBefore: number | null;
  notAfter: number | null;
  createdAt: string;
  updatedAt: string;
  /** stateKey() of the last status queued for the broker: what was reported survives a restart. */
  reported?: string;
}

export interface OutboxRow {
  jobId: string;
  topic: string;
  payload: string;
  seq: number;
}

export interface FleetStore {
  jobs(): JobRow[];
  job(jobId: string): JobRow | undefined;
  putJob(row: JobRow): void;
  removeJob(jobId: string): void;
  /** Replaces the job's pending message; returns its sequence number (to acknowledge exactly it). */
  putOutbox(jobId: string, topic: string, payload: string): number;
  outbox(): OutboxRow[];
  /** Drops the message once the broker acknowledged it, unless a newer one replaced it meanwhile. */
  ackOutbox(jobId: string, seq: number): void;
}

interface Row {
  job_id: string;
  data: string;
}

export function createFleetStore(db: Db): FleetStore {
  db.exec(`CREATE TABLE IF NOT EXISTS fleet_jobs (job_id TEXT PRIMARY KEY, data TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS fleet_outbox (job_id TEXT PRIMARY KEY, topic TEXT NOT NULL, payload TEXT NOT NULL, seq INTEGER NOT NULL);`);
  const s = {
    all: db.prepare('SELECT job_id, data FROM fleet_jobs ORDER BY rowid'),
    put: db.prepare('INSERT INTO fleet_jobs (job_id, data) VALUES (?, ?) ON CONFLICT(job_id) DO UPDATE SET data = excluded.data'),
    del: db.prepare('DELETE FROM fleet_jobs WHERE job_id = ?'),
    seq: db.prepare('SELECT COALESCE(MAX(seq), 0) AS seq FROM fleet_outbox'),
    putOut: db.prepare(
      `INSERT INTO fleet_outbox (job_id, topic, payload, seq) VALUES (?, ?, ?, ?)
       ON CONFLICT(job_id) DO UPDATE SET topic = excluded.topic, payload = excluded.payload, seq = excluded.seq`,
    ),
    allOut: db.prepare('SELECT job_id AS jobId, topic, payload, seq FROM fleet_outbox ORDER BY seq'),
    ack: db.prepare('DELETE FROM fleet_outbox WHERE job_id = ? AND seq = ?'),
  };
  // The read path is memory, like the transfers store: a few hundred rows at most (the fleet quota).
  const byId = new Map<string, JobRow>();
  for (const r of s.all.all() as Row[]) byId.set(r.job_id, JSON.parse(r.data) as JobRow);
  let seq = (s.seq.get() as { seq: number }).seq;
  return {
    jobs: () => [...byId.values()],
    job: (id) => byId.get(id),
    putJob(row) {
      s.put.run(row.jobId, JSON.stringify(row));
      byId.set(row.jobId, row);
    },
    removeJob(id) {
      s.del.run(id);
      byId.delete(id);
    },
    putOutbox(jobId, topic, payload) {
      seq += 1;
      s.putOut.run(jobId, topic, payload, seq);
      return seq;
    },
    outbox: () => s.allOut.all() as OutboxRow[],
    ackOutbox(jobId, n) {
      s.ack.run(jobId, n);
    },
  };
}
