// Data-plan counters in SQLite: per interface, the bytes used in the current plan period and the last
// kernel counter values seen (with the boot and ifindex they belong to), so usage survives restarts and reboots.
import type Database from 'better-sqlite3';

export interface UsageRecord {
  interface: string;
  /** Local date (YYYY-MM-DD) the current plan period started. */
  periodStart: string;
  usedBytes: number;
  lastRx: number;
  lastTx: number;
  bootId: string | null;
  ifindex: number | null;
  /** ms since the epoch of the last sample folded in. */
  updatedAt: number;
}

export interface UsageStore {
  get(iface: string): UsageRecord | null;
  put(record: UsageRecord): void;
  all(): UsageRecord[];
}

interface Row {
  interface: string;
  period_start: string;
  used_bytes: number;
  last_rx: number;
  last_tx: number;
  boot_id: string | null;
  ifindex: number | null;
  updated_at: number;
}

function fromRow(r: Row): UsageRecord {
  return {
    interface: r.interface,
    periodStart: r.period_start,
    usedBytes: r.used_bytes,
    lastRx: r.last_rx,
    lastTx: r.last_tx,
    bootId: r.boot_id,
    ifindex: r.ifindex,
    updatedAt: r.updated_at,
  };
}

/** Creates the data_usage table if missing and returns its statements. */
export function createUsageStore(db: Database.Database): UsageStore {
  db.exec(`CREATE TABLE IF NOT EXISTS data_usage (
    interface TEXT PRIMARY KEY,
    period_start TEXT NOT NULL,
    used_bytes INTEGER NOT NULL,
    last_rx INTEGER NOT NULL,
    last_tx INTEGER NOT NULL,
    boot_id TEXT,
    ifindex INTEGER,
    updated_at INTEGER NOT NULL
  )`);
  const getStmt = db.prepare('SELECT * FROM data_usage WHERE interface = ?');
  const allStmt = db.prepare('SELECT * FROM data_usage ORDER BY interface');
  const putStmt = db.prepare(
    `INSERT INTO data_usage (interface, period_start, used_bytes, last_rx, last_tx, boot_id, ifindex, updated_at)
     VALUES (@interface, @periodStart, @usedBytes, @lastRx, @lastTx, @bootId, @ifindex, @updatedAt)
     ON CONFLICT(interface) DO UPDATE SET period_start=excluded.period_start, used_bytes=excluded.used_bytes,
       last_rx=excluded.last_rx, last_tx=excluded.last_tx, boot_id=excluded.boot_id, ifindex=excluded.ifindex,
       updated_at=excluded.updated_at`,
  );
  return {
    get(iface) {
      const row = getStmt.get(iface) as Row | undefined;
      return row ? fromRow(row) : null;
    },
    put(record) {
      putStmt.run(record);
    },
    all() {
      return (allStmt.all() as Row[]).map(fromRow);
    },
  };
}
