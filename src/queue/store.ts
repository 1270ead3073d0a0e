// The durable queue: every transfer lives in SQLite (WAL, synchronous=FULL so an acknowledged enqueue
// survives power loss) and in an in-memory map that is the read path. This module owns every statement
// on the transfers table; writes go through before callers see success.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Job } from '../model/job.js';
import { fromStoredRow } from './stored-job.js';
import { FerryError } from '../errors.js';

export type Db = Database.Database;

export interface QuotaLimits {
  perClient: number;
  total: number;
}

const SCHEMA_VERSION = 1;

export class TransferStore {
  readonly db: Db;
  private readonly byId = new Map<string, Job>();
  /** Rows that could not be read as a job at start (kept in the table, left out of the queue). */
  readonly unreadable: string[] = [];
  private readonly stmt: {
    upsert: Database.Statement;
    remove: Database.Statement;
  };

  private constructor(db: Db) {
    this.db = db;
    this.stmt = {
      upsert: db.prepare(
        `INSERT INTO transfers (id, owner, state, created_at, data) VALUES (@id, @owner, @state, @createdAt, @data)
         ON CONFLICT(id) DO UPDATE SET owner=excluded.owner, state=excluded.state, data=excluded.data`,
      ),
      remove: db.prepare('DELETE FROM transfers WHERE id = ?'),
    };
    const rows = db.prepare('SELECT id, data FROM transfers ORDER BY created_at, rowid').all() as Array<{ id: string; data: string }>;
    for (const r of rows) {
      const t = fromStoredRow(r.data);
      if (t) this.byId.set(t.id, t);
      else this.unreadable.push(r.id);
    }
  }

  static open(stateDir: string): TransferStore {
    mkdirSync(stateDir, { recursive: true, mode: 0o750 });
    const db = new Database(join(stateDir, 'ferry.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    migrate(db);
    return new TransferStore(db);
  }

  all(): Job[] {
    return [...this.byId.values()];
  }

  get(id: string): Job | undefined {
    return this.byId.get(id);
  }

  /** Outstanding = not removed (finished ones count until the client removes them, POLICY.md §3). */
  countFor(owner: string): number {
    let n = 0;
    for (const t of this.byId.values()) if (t.owner === owner) n++;
    return n;
  }

  get size(): number {
    return this.byId.size;
  }

  /** Inserts after checking both quotas, atomically with respect to other inserts. */
  insert(t: Job, limits: QuotaLimits): void {
    if (this.byId.size >= limits.total) {
      throw new FerryError('QUOTA_EXCEEDED', `the agent holds ${limits.total} transfers already; remove finished ones first`);
    }
    if (this.countFor(t.owner) >= limits.perClient) {
      throw new FerryError(
        'QUOTA_EXCEEDED',
        `client "${t.owner}" has ${limits.perClient} transfers outstanding (finished ones count until removed)`,
      );
    }
    this.write(t);
  }

  /** Persists one record (a state change or a progress checkpoint). */
  put(t: Job): void {
    this.write(t);
  }

  /** Replaces the in-memory record only: what a restart re-derives (waiting reasons, live progress). */
  keep(t: Job): void {
    this.byId.set(t.id, t);
  }

  /** Runs `fn` in one SQLite transaction (a decision pass writes many records at once). */
  transaction(fn: () => void): void {
    this.db.transaction(fn)();
  }

  remove(id: string): boolean {
    const had = this.byId.delete(id);
    this.stmt.remove.run(id);
    return had;
  }

  countByState(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const t of this.byId.values()) out[t.state] = (out[t.state] ?? 0) + 1;
    return out;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private write(t: Job): void {
    this.stmt.upsert.run({ id: t.id, owner: t.owner, state: t.state, createdAt: t.createdAt, data: JSON.stringify(t) });
    this.byId.set(t.id, t);
  }
}

function migrate(db: Db): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new FerryError('INTERNAL', `state database is from a newer ferry (schema ${version} > ${SCHEMA_VERSION})`);
  }
  if (version < 1) {
    db.exec(`CREATE TABLE IF NOT EXISTS transfers (
      id TEXT PRIMARY KEY,
      owner TEXT NOT NULL,
      state TEXT NOT NULL,
      created_at TEXT NOT NULL,
      data TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS transfers_owner ON transfers(owner);`);
  }
  db.pragma(`user_version = ${SCHEMA_VERSION}`);
}
