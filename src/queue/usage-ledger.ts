// Byte accounting: HTTP body bytes ferry moved on the wire, per client, network kind, interface and
// local day, in the `usage_ledger` table. Counted per chunk in memory (a map lookup and two additions)
// and written in batches: inside the transfer store's commits while transfers run (`rider`: no commit of
// its own; those come on the checkpoint cadence, model/checkpoint-cadence.ts), else by a fallback on the
// same rule at half its pace, at each attempt's end and at shutdown — so a SIGKILL loses about one
// checkpoint's worth of counts (checkpointBytes, or a second's worth on a faster link). Rows only ever grow:
// writes add deltas. A write the disk refuses (full or read-only state folder) keeps the counts in memory
// for the next try: it never throws, since it runs from a timer and at the end of every attempt.
import type Database from 'better-sqlite3';
import { checkpointDue } from '../model/checkpoint-cadence.js';
import type { CommitRider } from './store.js';

export interface UsageRow {
  client: string;
  network: string;
  /** '' when the link's interface is not known. */
  interface: string;
  /** Local date YYYY-MM-DD. */
  day: string;
  rxBytes: number;
  txBytes: number;
}

export interface UsageLedgerDeps {
  db: Database.Database;
  now: () => number;
  /** Local day of an instant (the agent's zone) and when the next one starts. */
  dayOf: (ms: number) => { day: string; endsAt: number };
  /** The link bytes move on now. */
  link: () => { kind: string; interface: string | null };
  /** The checkpoint cadence's shortest gap (transfers.checkpointMs)… */
  flushEveryMs: number;
  /** …and its bytes (transfers.checkpointBytes); 1 when absent: every flushEveryMs while dirty. */
  flushEveryBytes?: number;
  /** The first batch the database refused after a good write (kept for the next try); the ledger never throws on a write. */
  onWriteError?: (e: unknown) => void;
}

export interface UsageLedger {
  count(client: string, direction: 'rx' | 'tx', n: number): void;
  /** Rides in the transfer store's commits (a running transfer's checkpoints): the timer is then only a fallback. */
  readonly rider: CommitRider;
  /** Writes what was counted since the last write, in one transaction. */
  flush(): void;
  /** rx + tx of `client` on `network` today, counted but unwritten bytes included. */
  usedToday(client: string, network: string): number;
  /** Rows from `sinceDay` on (all when null), unwritten counts included, optionally one client's. */
  rows(sinceDay: string | null, client?: string): UsageRow[];
  close(): void;
}

interface Row {
  client: string;
  network: string;
  interface: string;
  day: string;
  rx_bytes: number;
  tx_bytes: number;
}

const LINK_TTL_MS = 500;

/** Key of today's running total per client and network. */
const totalKey = (client: string, network: string): string => `${client}\0${network}`;

export function createUsageLedger(deps: UsageLedgerDeps): UsageLedger {
  const { db } = deps;
  db.exec(`CREATE TABLE IF NOT EXISTS usage_ledger (
    client TEXT NOT NULL,
    network TEXT NOT NULL,
    interface TEXT NOT NULL,
    day TEXT NOT NULL,
    rx_bytes INTEGER NOT NULL,
    tx_bytes INTEGER NOT NULL,
    PRIMARY KEY (client, network, interface, day)
  )`);
  const add = db.prepare(
    `INSERT INTO usage_ledger (client, network, interface, day, rx_bytes, tx_bytes) VALUES (@client, @network, @interface, @day, @rxBytes, @txBytes)
     ON CONFLICT(client, network, interface, day) DO UPDATE SET rx_bytes = rx_bytes + excluded.rx_bytes, tx_bytes = tx_bytes + excluded.tx_bytes`,
  );
  const since = db.prepare('SELECT * FROM usage_ledger WHERE day >= ? ORDER BY day, client, network, interface');
  const writeAll = db.transaction((rows: UsageRow[]) => {
    for (const r of rows) add.run(r);
  });

  const pending = new Map<string, UsageRow>();
  // Today's totals per client and network kind, for quotas: loaded once a day, then kept in step.
  let today = '';
  let dayEndsAt = -Infinity;
  const todayTotals = new Map<string, number>();
  let link = { kind: 'none', interface: '' };
  let linkAt = -Infinity;
  let keyed = { client: '', link, day: '', key: '', total: '' };
  let timer: NodeJS.Timeout | null = null;
  let failing = false;
  const cadence = { checkpointMs: deps.flushEveryMs, checkpointBytes: deps.flushEveryBytes ?? 1 };
  let writtenAt = deps.now();
  let unwritten = 0; // bytes counted since the last write

  // The fallback runs the checkpoint rule at half its pace: while transfers run, the store's own commits
  // carry the counts first, and each of them starts the fallback's count again.
  function arm(): void {
    if (timer !== null) return;
    timer = setTimeout(() => {
      timer = null;
      if (checkpointDue(deps.now() - writtenAt, unwritten, cadence, 2)) ledger.flush();
      else if (pending.size > 0) arm();
    }, 2 * cadence.checkpointMs);
    timer.unref();
  }

  function written(): void {
    pending.clear();
    failing = false;
    writtenAt = deps.now();
    unwritten = 0;
  }

  function roll(now: number): void {
    if (now < dayEndsAt) return;
    const { day, endsAt } = deps.dayOf(now);
    dayEndsAt = endsAt;
    if (day === today) return;
    today = day;
    todayTotals.clear();
    for (const r of since.all(day) as Row[]) bump(r.client, r.network, r.rx_bytes + r.tx_bytes);
    for (const p of pending.values()) if (p.day === day) bump(p.client, p.network, p.rxBytes + p.txBytes);
  }

  function bump(client: string, network: string, n: number): void {
    const k = totalKey(client, network);
    todayTotals.set(k, (todayTotals.get(k) ?? 0) + n);
  }

  const ledger: UsageLedger = {
    rider: {
      pending: () => pending.size > 0,
      write: () => writeAll([...pending.values()]),
      committed() {
        written();
        if (timer) clearTimeout(timer);
        timer = null;
      },
    },
    count(client, direction, n) {
      const now = deps.now();
      roll(now);
      if (now - linkAt >= LINK_TTL_MS) {
        const l = deps.link();
        link = { kind: l.kind, interface: l.interface ?? '' };
        linkAt = now;
      }
      // Called per body chunk: the keys are rebuilt only when the client, the link or the day changed.
      if (client !== keyed.client || link !== keyed.link || today !== keyed.day) {
        keyed = { client, link, day: today, key: `${client}\0${link.kind}\0${link.interface}\0${today}`, total: totalKey(client, link.kind) };
      }
      const key = keyed.key;
      let p = pending.get(key);
      if (!p) {
        p = { client, network: link.kind, interface: link.interface, day: today, rxBytes: 0, txBytes: 0 };
        pending.set(key, p);
      }
      if (direction === 'rx') p.rxBytes += n;
      else p.txBytes += n;
      todayTotals.set(keyed.total, (todayTotals.get(keyed.total) ?? 0) + n);
      unwritten += n;
      arm();
    },
    flush() {
      if (pending.size === 0) return;
      try {
        writeAll([...pending.values()]); // synchronous: nothing is counted meanwhile
        written();
      } catch (e) {
        // Rolled back whole: the same rows are written at the next try, none twice.
        if (!failing) deps.onWriteError?.(e);
        failing = true;
        arm();
      }
    },
    usedToday(client, network) {
      roll(deps.now());
      return todayTotals.get(totalKey(client, network)) ?? 0;
    },
    rows(sinceDay, client) {
      const out = new Map<string, UsageRow>();
      const put = (r: UsageRow): void => {
        if (client !== undefined && r.client !== client) return;
        if (sinceDay !== null && r.day < sinceDay) return;
        const k = `${r.client}\0${r.network}\0${r.interface}\0${r.day}`;
        const o = out.get(k);
        if (o) {
          o.rxBytes += r.rxBytes;
          o.txBytes += r.txBytes;
        } else out.set(k, { ...r });
      };
      for (const r of since.all(sinceDay ?? '') as Row[]) {
        put({ client: r.client, network: r.network, interface: r.interface, day: r.day, rxBytes: r.rx_bytes, txBytes: r.tx_bytes });
      }
      for (const p of pending.values()) put(p);
      return [...out.values()];
    },
    close() {
      if (timer) clearTimeout(timer);
      timer = null;
      ledger.flush();
    },
  };
  return ledger;
}
