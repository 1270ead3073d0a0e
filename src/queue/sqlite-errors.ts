// Sorts SQLite failures by what the agent does about them: a full or failing disk (wait, retry the
// write later, never exit), a damaged file (move it aside at open), or anything else (a bug: rethrow).
import { FerryError } from '../errors.js';

/** better-sqlite3's SqliteError carries SQLite's extended result code name, e.g. SQLITE_IOERR_WRITE. */
function sqliteCode(e: unknown): string | null {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : null;
}

/** A write that failed because of the disk under the state folder, as a FerryError; null otherwise. */
export function storageWriteError(e: unknown, what: string): FerryError | null {
  if (e instanceof FerryError) return e.code === 'STORAGE_FULL' || e.code === 'STORAGE_ERROR' ? e : null;
  const code = sqliteCode(e) ?? (e as NodeJS.ErrnoException | null)?.code ?? null;
  if (code === null) return null;
  const why = (e as Error).message;
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') {
    return new FerryError('STORAGE_FULL', `${what} was not recorded: the state folder's disk is full (${why})`, { cause: e });
  }
  // IOERR covers EIO and its cousins (fsync, short write, lost mapping); READONLY a file system
  // remounted read-only after errors; CANTOPEN a journal that could not be created; BUSY a lock held past busy_timeout.
  if (/^SQLITE_(IOERR|READONLY|CANTOPEN|BUSY|LOCKED|PROTOCOL)/.test(code) || code === 'EIO' || code === 'EROFS') {
    return new FerryError('STORAGE_ERROR', `${what} was not recorded: the state database cannot be written (${why})`, { cause: e });
  }
  return null;
}

/** The file is not a usable database (garbage, truncated, torn): moving it aside is the only way on. */
export function isCorruptDatabase(e: unknown): boolean {
  const code = sqliteCode(e);
  return code !== null && /^SQLITE_(CORRUPT|NOTADB)/.test(code);
}

/** A write the store refused for the disk's sake (the change is kept in memory and retried). */
export function isStorageFailure(e: unknown): e is FerryError {
  return e instanceof FerryError && (e.code === 'STORAGE_FULL' || e.code === 'STORAGE_ERROR');
}
