// Opens the state database with the agent's own rights only (db, -wal and -shm 0600: records hold request
// headers such as Authorization) and never crash-loops on a damaged or foreign file: one that cannot be
// read as ferry's database is moved aside (`ferry.db.corrupt-<time>`) with one error line, and a new one starts.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, renameSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { FerryError } from '../errors.js';
import type { Logger } from '../log.js';
import { isCorruptDatabase } from './sqlite-errors.js';

export type Db = Database.Database;

export const DB_FILE = 'ferry.db';
const SIDE_FILES = ['-wal', '-shm', '-journal'];

export interface OpenDbOptions {
  log?: Logger;
  now?: () => number;
  /** Creates or upgrades the schema; throws NewerSchemaError for a database from a newer ferry. */
  migrate: (db: Db) => void;
  /** Reads everything once (the store's load), so damage anywhere in the table shows at open. */
  load: (db: Db) => void;
}

export class NewerSchemaError extends FerryError {
  constructor(version: number, supported: number) {
    super('INTERNAL', `state database is from a newer ferry (schema ${version} > ${supported})`);
  }
}

/** Files SQLite creates take the database file's mode, so creating it 0600 covers -wal and -shm too. */
function tighten(file: string, log: Logger | undefined): void {
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  for (const f of [file, ...SIDE_FILES.map((s) => file + s)]) {
    let st;
    try {
      st = statSync(f);
    } catch {
      continue;
    }
    if ((st.mode & 0o777) !== 0o600) chmodSync(f, 0o600); // an older install made them 0640
    if (st.uid !== process.geteuid?.()) log?.warn({ file: f, uid: st.uid }, 'state file is owned by another user than the agent');
  }
}

/**
 * The addon's file, named instead of searched for: better-sqlite3's own search (the `bindings` package) tries a
 * dozen paths, and that path work at start-up was enough for V8 to optimise its first function, which maps
 * ~3.5 MiB of its optimising compiler's code into an idle agent (BENCHMARKS.md, "Idle RSS"). The ferryd bundle
 * carries better-sqlite3's JavaScript, from where the search would not find the addon at all.
 */
function addonFile(): string | undefined {
  try {
    return createRequire(import.meta.url).resolve('better-sqlite3/build/Release/better_sqlite3.node');
  } catch {
    return undefined; // an unusual layout: better-sqlite3 searches as it always did
  }
}

function openOnce(file: string, opts: OpenDbOptions): Db {
  tighten(file, opts.log);
  const nativeBinding = addonFile();
  const db = new Database(file, nativeBinding ? { nativeBinding } : {});
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw Object.assign(new Error(`quick_check: ${String(check)}`), { code: 'SQLITE_CORRUPT' });
    opts.migrate(db);
    opts.load(db);
    tighten(file, opts.log); // -wal and -shm exist now
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** Opens `<stateDir>/ferry.db`; a damaged or newer-schema file is moved aside once and a fresh one opened. */
export function openStateDb(stateDir: string, opts: OpenDbOptions): { db: Db; movedAside: string | null } {
  mkdirSync(stateDir, { recursive: true, mode: 0o750 });
  const file = join(stateDir, DB_FILE);
  try {
    return { db: openOnce(file, opts), movedAside: null };
  } catch (e) {
    const newer = e instanceof NewerSchemaError;
    if (!newer && !isCorruptDatabase(e)) throw e; // a full disk or missing rights is no reason to drop the queue
    const aside = `${file}.${newer ? 'newer' : 'corrupt'}-${stamp((opts.now ?? Date.now)())}`;
    for (const s of ['', ...SIDE_FILES]) {
      if (existsSync(file + s)) renameSync(file + s, aside + s);
    }
    opts.log?.error(
      { file, movedTo: aside, err: (e as Error).message },
      newer
        ? 'state database is from a newer ferry: moved aside, starting with an empty queue'
        : 'state database is damaged: moved aside, starting with an empty queue',
    );
    return { db: openOnce(file, opts), movedAside: aside };
  }
}
