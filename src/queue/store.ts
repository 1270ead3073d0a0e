// The durable queue: every transfer lives in SQLite (WAL, synchronous=FULL so an acknowledged enqueue
// survives power loss) and in an in-memory map that is the read path. This module owns every statement
// on the transfers table; writes go through before callers see success. A write the disk refuses (full,
// I/O error) throws STORAGE_FULL/STORAGE_ERROR, is remembered and retried by flushPending(), and marks
// the store unhealthy until a write succeeds again; nothing here exits the agent.
import type Database from 'better-sqlite3';
import type { TransferRecord } from '../model/transfer.js';
import { isFinal } from '../model/transfer.js';
import { FerryError } from '../errors.js';
import type { Logger } from '../log.js';
import { NewerSchemaError, openStateDb, type Db } from './open-db.js';
import { storageWriteError } from './sqlite-errors.js';

export type { Db } from './open-db.js';

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
  /** Set when a damaged database was moved aside at open (where it went). */
  readonly movedAside: string | null;
  private readonly byId = new Map<string, TransferRecord>();
  /** Records whose last write failed: flushPending() retries them. */
  private readonly unsaved = new Set<string>();
  private problem: FerryError | null = null;
  private readonly healthListeners = new Set<(problem: FerryError | null) => void>();
  private readonly log: Logger | undefined;
  private readonly stmt: {
    upsert: Database.Statement;
    remove: Database.Statement;
  };

  private constructor(db: Db, loaded: TransferRecord[], movedAside: string | null, log: Logger | undefined) {
    this.db = db;
    this.movedAside = movedAside;
    this.log = log;
    for (const t of loaded) this.byId.set(t.id, t);
    this.stmt = {
      upsert: db.prepare(
        `INSERT INTO transfers (id, owner, state, created_at, data) VALUES (@id, @owner, @state, @createdAt, @data)
         ON CONFLICT(id) DO UPDATE SET owner=excluded.owner, state=excluded.state, data=excluded.data`,
      ),
      remove: db.prepare('DELETE FROM transfers WHERE id = ?'),
    };
  }

  static open(stateDir: string, opts: StoreOpenOptions = {}): TransferStore {
    let loaded: TransferRecord[] = [];
    const { db, movedAside } = openStateDb(stateDir, {
      ...opts,
      migrate,
      load: (d) => {
        loaded = loadRecords(d, opts.log);
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

  all(): TransferRecord[] {
    return [...this.byId.values()];
  }

  get(id: string): TransferRecord | undefined {
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
  insert(t: TransferRecord, limits: QuotaLimits): void {
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
  put(t: TransferRecord): void {
    this.byId.set(t.id, t);
    this.unsaved.add(t.id);
    this.guard(`transfer ${t.id}`, () => this.run(t));
    this.unsaved.delete(t.id);
  }

  /** Persists many records in one transaction (a re-decision pass). */
  putMany(list: TransferRecord[]): void {
    if (list.length === 0) return;
    for (const t of list) {
      this.byId.set(t.id, t);
      this.unsaved.add(t.id);
    }
    const tx = this.db.transaction((items: TransferRecord[]) => {
      for (const t of items) this.run(t);
    });
    this.guard(`${list.length} transfers`, () => tx(list));
    for (const t of list) this.unsaved.delete(t.id);
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

  unfinished(): TransferRecord[] {
    return this.all().filter((t) => !isFinal(t.state));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private run(t: TransferRecord): void {
    this.stmt.upsert.run({ id: t.id, owner: t.owner, state: t.state, createdAt: t.createdAt, data: JSON.stringify(t) });
  }

  /** Runs one write; a disk failure becomes STORAGE_FULL/STORAGE_ERROR (and unhealthy), others pass through. */
  private guard(what: string, write: () => unknown): void {
    try {
      write();
    } catch (e) {
      throw this.failed(e, what);
    }
    if (this.problem !== null) this.flushPending(); // the disk takes writes again: catch up
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

/** One unreadable row is skipped with a log line: no single record may stop the agent from starting. */
function loadRecords(db: Db, log: Logger | undefined): TransferRecord[] {
  const rows = db.prepare('SELECT id, data FROM transfers ORDER BY created_at, rowid').all() as Array<{ id: string; data: string }>;
  const out: TransferRecord[] = [];
  for (const r of rows) {
    try {
      const t = JSON.parse(r.data) as TransferRecord;
      if (typeof t?.id === 'string' && typeof t.state === 'string') out.push(t);
      else throw new Error('not a transfer record');
    } catch (e) {
      log?.error({ component: 'store', id: r.id, err: (e as Error).message }, 'unreadable transfer record skipped');
    }
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
