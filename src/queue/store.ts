// The durable queue: every transfer lives in SQLite (WAL, synchronous=FULL so an acknowledged enqueue
// survives power loss) and in an in-memory map that is the read path. This module owns every statement
// on the transfers table; writes go through before callers see success. A write the disk refuses (full,
// I/O error) throws STORAGE_FULL/STORAGE_ERROR, is remembered and retried by flushPending(), and marks
// the store unhealthy until a write succeeds again; nothing here exits the agent.
import type Database from 'better-sqlite3';
import type { Job } from '../model/job.js';
import { fromStoredRow } from './stored-job.js';
import { FerryError } from '../errors.js';
import type { Logger } from '../log.js';
import { NewerSchemaError, openStateDb, type Db } from './open-db.js';
import { storageWriteError } from './sqlite-errors.js';

export type { Db } from './open-db.js';

/**
 * Other rows that ride in the store's next commit instead of paying for their own (an fsynced SQLite
 * commit each): `write` runs inside the transaction, `committed` once it is on disk. A refused commit
 * leaves the rider's data pending for its own next try.
 */
export interface CommitRider {
  pending(): boolean;
  write(): void;
  committed(): void;
}

export interface StoreOpenOptions {
  log?: Logger;
  now?: () => number;
}

export interface QuotaLimits {
  perClient: number;
  total: number;
}

const SCHEMA_VERSION = 1;

export class TransferStore {
  readonly db: Db;
  private readonly byId = new Map<string, Job>();
  /** Rows that could not be read as a job at start (kept in the table, left out of the queue). */
  readonly unreadable: string[];
  /** Set when a damaged database was moved aside at open (where it went). */
  readonly movedAside: string | null;
  /** Records whose last write failed: flushPending() retries them. */
  private readonly unsaved = new Set<string>();
  /** Records written inside the open transaction (all unsaved if its commit fails). */
  private inTransaction: Set<string> | null = null;
  private readonly riders: CommitRider[] = [];
  private problem: FerryError | null = null;
  private readonly healthListeners = new Set<(problem: FerryError | null) => void>();
  private readonly log: Logger | undefined;
  private readonly stmt: {
    upsert: Database.Statement;
    remove: Database.Statement;
  };

  private constructor(db: Db, loaded: { jobs: Job[]; unreadable: string[] }, movedAside: string | null, log: Logger | undefined) {
    this.db = db;
    this.movedAside = movedAside;
    this.log = log;
    this.unreadable = loaded.unreadable;
    for (const t of loaded.jobs) this.byId.set(t.id, t);
    this.stmt = {
      upsert: db.prepare(
        `INSERT INTO transfers (id, owner, state, created_at, data) VALUES (@id, @owner, @state, @createdAt, @data)
         ON CONFLICT(id) DO UPDATE SET owner=excluded.owner, state=excluded.state, data=excluded.data`,
      ),
      remove: db.prepare('DELETE FROM transfers WHERE id = ?'),
    };
  }

  static open(stateDir: string, opts: StoreOpenOptions = {}): TransferStore {
    let loaded = { jobs: [] as Job[], unreadable: [] as string[] };
    const { db, movedAside } = openStateDb(stateDir, {
      ...opts,
      migrate,
      load: (d) => {
        loaded = loadRows(d);
      },
    });
    return new TransferStore(db, loaded, movedAside, opts.log);
  }

  /** Null while writes succeed; the last write failure while the disk refuses them. */
  writeProblem(): FerryError | null {
    return this.problem;
  }

  /** Whether this record's latest state is only in memory (its write failed and was not retried yet). */
  isUnsaved(id: string): boolean {
    return this.unsaved.has(id);
  }

  onHealthChange(listener: (problem: FerryError | null) => void): () => void {
    this.healthListeners.add(listener);
    return () => this.healthListeners.delete(listener);
  }

  /** Retries every failed write in one transaction; true when nothing is left unsaved. */
  flushPending(): boolean {
    if (this.unsaved.size === 0 && this.problem === null) return true;
    try {
      this.db.transaction(() => {
        // Nothing to retry (a refused insert): a header write tells whether the disk takes writes again.
        if (this.unsaved.size === 0) this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
        for (const id of this.unsaved) {
          const t = this.byId.get(id);
          if (t) this.run(t);
        }
      })();
    } catch (e) {
      this.failed(e, 'a retried write');
      return false;
    }
    this.unsaved.clear();
    this.setProblem(null);
    return true;
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
    // A refused insert is not kept: the client hears STORAGE_FULL and nothing was queued.
    this.guard('the new transfer', () => this.run(t));
    this.byId.set(t.id, t);
  }

  /** Persists one record (a state change or a progress checkpoint). On a refused write the record
   * stays in memory as it is, is marked unsaved, and the storage error is thrown. */
  put(t: Job): void {
    if (!this.inTransaction && this.riders.some((r) => r.pending())) return this.transaction(() => this.put(t), `transfer ${t.id}`);
    this.byId.set(t.id, t);
    this.unsaved.add(t.id);
    // SQLite rolls a transaction back by itself on some refused writes (SQLITE_FULL, IOERR): the rest of
    // the batch is not written one by one outside it; it stays unsaved with the others, for flushPending.
    if (this.inTransaction && !this.db.inTransaction) return;
    try {
      this.guard(`transfer ${t.id}`, () => this.run(t));
    } catch (e) {
      this.inTransaction?.delete(t.id); // its latest version was refused: unsaved even if the batch commits
      throw e;
    }
    this.inTransaction?.add(t.id);
    if (!this.inTransaction) this.unsaved.delete(t.id);
  }

  addRider(r: CommitRider): void {
    this.riders.push(r);
  }

  /** Replaces the in-memory record only: what a restart re-derives (waiting reasons, live progress). */
  keep(t: Job): void {
    this.byId.set(t.id, t);
  }

  /** Runs `fn` in one SQLite transaction (a decision pass writes many records at once). A refused
   * commit leaves every record written in it unsaved (kept in memory, retried by flushPending). */
  transaction(fn: () => void, what = 'a decision pass'): void {
    if (this.inTransaction) return fn(); // nested: part of the outer one
    const written = new Set<string>();
    const riding: CommitRider[] = [];
    this.inTransaction = written;
    try {
      this.guard(what, () =>
        this.db.transaction(() => {
          fn();
          for (const r of this.riders) {
            if (this.db.inTransaction && r.pending()) {
              r.write();
              riding.push(r);
            }
          }
          // Rolled back inside (see put): not a commit; every record written in it stays unsaved.
          if (!this.db.inTransaction) throw this.problem ?? new FerryError('STORAGE_ERROR', `${what} was rolled back by the database`);
        })(),
      );
      for (const id of written) this.unsaved.delete(id);
      for (const r of riding) r.committed();
    } finally {
      this.inTransaction = null;
    }
  }

  /** Removes a record; a refused delete throws and leaves the record in place (the client may retry). */
  remove(id: string): boolean {
    const had = this.byId.has(id);
    this.guard(`removing transfer ${id}`, () => this.stmt.remove.run(id));
    this.byId.delete(id);
    this.unsaved.delete(id);
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

  private run(t: Job): void {
    this.stmt.upsert.run({ id: t.id, owner: t.owner, state: t.state, createdAt: t.createdAt, data: JSON.stringify(t) });
  }

  /** Runs one write; a disk failure becomes STORAGE_FULL/STORAGE_ERROR (and unhealthy), others pass through. */
  private guard(what: string, write: () => unknown): void {
    try {
      write();
    } catch (e) {
      throw this.failed(e, what);
    }
    if (this.problem !== null && !this.inTransaction) this.flushPending(); // the disk takes writes again: catch up
  }

  private failed(e: unknown, what: string): unknown {
    const err = storageWriteError(e, what);
    if (err === null) return e;
    this.setProblem(err);
    return err;
  }

  private setProblem(p: FerryError | null): void {
    const was = this.problem;
    this.problem = p;
    if ((was === null) === (p === null)) return;
    if (p) this.log?.error({ component: 'store', code: p.code, err: p.message }, 'state writes fail; work waits until they succeed again');
    else this.log?.info({ component: 'store' }, 'state writes succeed again');
    for (const l of this.healthListeners) l(p);
  }
}

/** Rows that are not a job are reported, never allowed to stop the agent at start (stored-job.ts). */
function loadRows(db: Db): { jobs: Job[]; unreadable: string[] } {
  const rows = db.prepare('SELECT id, data FROM transfers ORDER BY created_at, rowid').all() as Array<{ id: string; data: string }>;
  const out = { jobs: [] as Job[], unreadable: [] as string[] };
  for (const r of rows) {
    const t = fromStoredRow(r.data);
    if (t) out.jobs.push(t);
    else out.unreadable.push(r.id);
  }
  return out;
}

function migrate(db: Db): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) throw new NewerSchemaError(version, SCHEMA_VERSION);
  if (version === SCHEMA_VERSION) return; // no write at open: a full disk must not stop the start
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
