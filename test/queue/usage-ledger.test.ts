// The usage ledger on a real SQLite file: counts folded per client/network/interface/day, written only
// in batches, today's totals for quotas, and the day rolling over at local midnight.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { aggregateUsage } from '../../src/api/usage-routes.js';
import { dayBounds } from '../../src/policy/windows.js';
import { createUsageLedger } from '../../src/queue/usage-ledger.js';
import { usageLines } from '../../src/cli/commands/usage.js';
import { makeTempDir } from '../support/tmp.js';
import { TransferStore } from '../../src/queue/store.js';
import { record } from '../support/records.js';

const MiB = 1024 * 1024;
const tmp = makeTempDir('ferry-ledger-');
afterAll(() => tmp.cleanup());

function setup(start: number) {
  const file = join(tmp.path, `l-${Math.random()}.db`);
  const db = new Database(file);
  let now = start;
  let link = { kind: 'cellular', interface: 'wwan0' as string | null };
  const ledger = createUsageLedger({ db, now: () => now, dayOf: (ms) => dayBounds(ms, 'Europe/Berlin'), link: () => link, flushEveryMs: 60_000 });
  const stored = () => (db.prepare('SELECT COUNT(*) AS n FROM usage_ledger').get() as { n: number }).n;
  return { db, file, ledger, stored, at: (ms: number) => (now = ms), setLink: (l: typeof link) => (link = l) };
}

describe('usage ledger', () => {
  it('counts per client, link and local day; writes only on flush; rows include unwritten counts', () => {
    const s = setup(Date.parse('2026-01-15T22:30:00Z')); // 23:30 in Berlin
    s.ledger.count('cam', 'rx', 1000);
    s.ledger.count('cam', 'tx', 10);
    s.ledger.count('logger', 'tx', 500);
    expect(s.stored()).toBe(0);
    expect(s.ledger.rows(null)).toHaveLength(2);
    expect(s.ledger.usedToday('cam', 'cellular')).toBe(1010);
    s.ledger.flush();
    expect(s.stored()).toBe(2);
    s.ledger.count('cam', 'rx', 1); // same row: written as a delta
    s.at(Date.parse('2026-01-15T23:00:01Z')); // 00:00:01 in Berlin: a new day
    expect(s.ledger.usedToday('cam', 'cellular')).toBe(0);
    s.setLink({ kind: 'wifi', interface: null });
    s.at(Date.parse('2026-01-15T23:00:02Z'));
    s.ledger.count('cam', 'rx', 7);
    s.ledger.close();
    const reopened = new Database(s.file);
    const rows = createUsageLedger({ db: reopened, now: () => Date.parse('2026-01-15T23:00:03Z'), dayOf: (ms) => dayBounds(ms, 'Europe/Berlin'), link: () => ({ kind: 'wifi', interface: null }), flushEveryMs: 1000 }).rows(null);
    expect(rows).toEqual([
      { client: 'cam', network: 'cellular', interface: 'wwan0', day: '2026-01-15', rxBytes: 1001, txBytes: 10 },
      { client: 'logger', network: 'cellular', interface: 'wwan0', day: '2026-01-15', rxBytes: 0, txBytes: 500 },
      { client: 'cam', network: 'wifi', interface: '', day: '2026-01-16', rxBytes: 7, txBytes: 0 },
    ]);
    expect(aggregateUsage(rows, new Set(['client']))).toEqual([
      { client: 'cam', network: null, interface: null, day: null, rxBytes: 1008, txBytes: 10 },
      { client: 'logger', network: null, interface: null, day: null, rxBytes: 0, txBytes: 500 },
    ]);
    expect(rows.filter((r) => r.day >= '2026-01-16')).toHaveLength(1);
  });

  it('writes on its own on the checkpoint cadence at half its pace: per 2 × checkpointBytes counted, else every 60 s while counts wait', () => {
    vi.useFakeTimers();
    try {
      const s = setup(Date.parse('2026-01-15T10:00:00Z'));
      let now = Date.parse('2026-01-15T10:00:00Z');
      const ledger = createUsageLedger({
        db: s.db, now: () => now, dayOf: (ms) => dayBounds(ms, 'Europe/Berlin'),
        link: () => ({ kind: 'cellular', interface: 'wwan0' }), flushEveryMs: 1000, flushEveryBytes: MiB,
      });
      const rx = () => (s.db.prepare('SELECT SUM(rx_bytes) AS n FROM usage_ledger').get() as { n: number | null }).n ?? 0;
      const wait = (ms: number) => {
        now += ms;
        vi.advanceTimersByTime(ms);
      };
      ledger.count('cam', 'rx', 100 * 1024);
      wait(2000);
      expect(rx()).toBe(0); // 100 KiB: not yet
      ledger.count('cam', 'rx', 2 * MiB);
      wait(2000);
      expect(rx()).toBe(2 * MiB + 100 * 1024); // 2 MiB and 2 s since the last write
      ledger.count('cam', 'rx', 1024); // a trickle: the longest gap, doubled
      wait(58_000);
      expect(rx()).toBe(2 * MiB + 100 * 1024);
      wait(2000);
      expect(rx()).toBe(2 * MiB + 101 * 1024);
      ledger.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('a write the disk refuses keeps the counts and never throws (the flush runs from a timer and at each attempt end)', () => {
    const s = setup(Date.parse('2026-01-15T10:00:00Z'));
    const errors: string[] = [];
    const ledger = createUsageLedger({
      db: s.db, now: () => Date.parse('2026-01-15T10:00:00Z'), dayOf: (ms) => dayBounds(ms, 'Europe/Berlin'),
      link: () => ({ kind: 'cellular', interface: 'wwan0' }), flushEveryMs: 60_000, onWriteError: (e) => errors.push((e as { code?: string }).code ?? String(e)),
    });
    ledger.count('cam', 'rx', 300);
    s.db.pragma('query_only = 1'); // every write now fails, as on a full or read-only state folder
    expect(() => ledger.flush()).not.toThrow();
    expect(errors).toEqual(['SQLITE_READONLY']);
    ledger.count('cam', 'rx', 5);
    expect(ledger.usedToday('cam', 'cellular')).toBe(305);
    expect(s.stored()).toBe(0);
    s.db.pragma('query_only = 0');
    ledger.flush();
    expect(s.db.prepare('SELECT rx_bytes FROM usage_ledger').all()).toEqual([{ rx_bytes: 305 }]);
    ledger.close();
  });

  it('rides in the transfer store\'s commits: no commit of its own while transfers checkpoint, nothing lost when one is refused', () => {
    const dir = join(tmp.path, `rider-${Math.random()}`);
    const store = TransferStore.open(dir);
    const ledger = createUsageLedger({ db: store.db, now: () => Date.parse('2026-01-15T10:00:00Z'), dayOf: (ms) => dayBounds(ms, 'Europe/Berlin'), link: () => ({ kind: 'wifi', interface: 'wlan0' }), flushEveryMs: 60_000 });
    store.addRider(ledger.rider);
    const rows = () => store.db.prepare('SELECT client, rx_bytes FROM usage_ledger').all();
    store.insert(record('t1', 'cam'), { perClient: 9, total: 9 });
    ledger.count('cam', 'rx', 1000);
    expect(rows()).toEqual([]);
    store.put({ ...store.get('t1')!, bytesTransferred: 1000 }); // a checkpoint: the counts go with it
    expect(rows()).toEqual([{ client: 'cam', rx_bytes: 1000 }]);
    expect(ledger.rider.pending()).toBe(false);
    ledger.count('cam', 'rx', 24);
    store.db.pragma('query_only = 1');
    expect(() => store.put({ ...store.get('t1')!, bytesTransferred: 1024 })).toThrow(expect.objectContaining({ code: 'STORAGE_ERROR' }));
    expect(ledger.rider.pending()).toBe(true); // kept for the next commit
    store.db.pragma('query_only = 0');
    store.put({ ...store.get('t1')!, bytesTransferred: 1024 });
    expect(rows()).toEqual([{ client: 'cam', rx_bytes: 1024 }]);
    ledger.close();
    store.close();
  });

  it('today\'s totals survive a restart (quotas read them)', () => {
    const s = setup(Date.parse('2026-01-15T10:00:00Z'));
    s.ledger.count('cam', 'rx', 300);
    s.ledger.close();
    const again = createUsageLedger({ db: new Database(s.file), now: () => Date.parse('2026-01-15T11:00:00Z'), dayOf: (ms) => dayBounds(ms, 'Europe/Berlin'), link: () => ({ kind: 'cellular', interface: 'wwan0' }), flushEveryMs: 1000 });
    expect(again.usedToday('cam', 'cellular')).toBe(300);
    expect(again.usedToday('cam', 'wifi')).toBe(0);
  });

  it('ferryctl usage prints ferry\'s rows and each interface beside what ferry moved on it', () => {
    const lines = usageLines({
      usage: [{ client: 'cam', network: 'cellular', interface: 'wwan0', day: '2026-01-15', rxBytes: 3 * 1024 * 1024, txBytes: 1024 }],
      interfaces: [{ interface: 'wwan0', periodStart: '2026-01-01', usedBytes: 10 * 1024 * 1024, ferryBytes: 4 * 1024 * 1024, updatedAt: '2026-01-15T10:00:00.000Z' }],
    }).join('\n').split('\n');
    expect(lines[0]).toMatch(/^DAY\s+CLIENT\s+NETWORK\s+INTERFACE\s+RECEIVED\s+SENT\s+TOTAL$/);
    expect(lines[1]).toMatch(/^2026-01-15\s+cam\s+cellular\s+wwan0\s+3\.1 MB\s+1 kB\s+3\.1 MB$/);
    expect(lines.at(-2)).toMatch(/^INTERFACE\s+SINCE\s+LINK TOTAL\s+FERRY\s+OTHER$/);
    expect(lines.at(-1)).toMatch(/^wwan0\s+2026-01-01\s+10 MB\s+4\.2 MB\s+6\.3 MB$/);
  });
});
