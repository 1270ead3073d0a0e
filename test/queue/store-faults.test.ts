// The store under disk trouble: files only the agent can read, a damaged or newer database moved aside
// instead of a crash, and refused writes that become STORAGE_FULL, are remembered and catch up later.
import { chmodSync, existsSync, readdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TransferStore } from '../../src/queue/store.js';
import { JobQueue } from '../../src/queue/job-queue.js';
import { defaultConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { record } from '../support/records.js';
import { makeTempDir } from '../support/tmp.js';

const limits = { perClient: 10_000, total: 10_000 };

/** Caps the database at its current size: the next write that needs a page fails with SQLITE_FULL. */
function fillUp(s: TransferStore): void {
  s.db.pragma(`max_page_count = ${s.db.pragma('page_count', { simple: true }) as number}`);
}

function capture(): { log: ReturnType<typeof createLogger>; lines: () => Array<Record<string, unknown>> } {
  const out: string[] = [];
  const log = createLogger('info', { write: (l: string) => out.push(l) } as never);
  return { log, lines: () => out.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('TransferStore under disk trouble', () => {
  let dir: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => dir.cleanup());

  it('keeps the database, its WAL and shared-memory files 0600 and owned by the agent', () => {
    const s = TransferStore.open(join(dir.path, 'state'));
    s.insert(record('one', 'a', { headers: { authorization: 'Bearer secret' } }), limits);
    for (const f of ['ferry.db', 'ferry.db-wal', 'ferry.db-shm']) {
      const st = statSync(join(dir.path, 'state', f));
      expect(st.mode & 0o777, f).toBe(0o600);
      expect(st.uid, f).toBe(process.geteuid!());
    }
    expect(statSync(join(dir.path, 'state')).mode & 0o777).toBe(0o750);
    s.close();
  });

  it('tightens a database an older version left group-readable', () => {
    const state = join(dir.path, 'state');
    TransferStore.open(state).close();
    chmodSync(join(state, 'ferry.db'), 0o640);
    const s = TransferStore.open(state);
    expect(statSync(join(state, 'ferry.db')).mode & 0o777).toBe(0o600);
    s.close();
  });

  for (const [what, damage] of [
    ['garbage bytes', (f: string) => writeFileSync(f, Buffer.alloc(64 * 1024, 0x5a))],
    ['a truncated file', (f: string) => truncateSync(f, 4096 + 100)],
    ['a newer schema', (f: string) => {
      const db = new Database(f);
      db.pragma('user_version = 99');
      db.close();
    }],
  ] as const) {
    it(`moves ${what} aside with one error line and starts with an empty queue`, () => {
      const state = join(dir.path, 'state');
      const s = TransferStore.open(state);
      for (let i = 0; i < 200; i++) s.insert(record(`t${i}`, 'a', { tag: 'x'.repeat(500) }), limits);
      s.db.pragma('wal_checkpoint(TRUNCATE)');
      s.close();
      damage(join(state, 'ferry.db'));
      const { log, lines } = capture();
      const again = TransferStore.open(state, { log, now: () => Date.parse('2026-11-26T10:00:00Z') });
      expect(again.size).toBe(0);
      expect(again.movedAside).toMatch(/ferry\.db\.(corrupt|newer)-20261126T100000Z$/);
      expect(existsSync(again.movedAside!)).toBe(true);
      const errors = lines().filter((l) => (l.level as number) >= 50);
      expect(errors).toHaveLength(1);
      expect(String(errors[0]!.msg)).toMatch(/moved aside, starting with an empty queue/);
      again.insert(record('fresh'), limits);
      again.close();
      expect(TransferStore.open(state).get('fresh')).toBeTruthy();
      expect(readdirSync(state).filter((f) => f.includes('.corrupt-') || f.includes('.newer-')).length).toBeGreaterThan(0);
    });
  }

  it('skips one unreadable record instead of refusing to start', () => {
    const state = join(dir.path, 'state');
    const s = TransferStore.open(state);
    s.insert(record('good'), limits);
    s.db.prepare(`INSERT INTO transfers (id, owner, state, created_at, data) VALUES ('bad', 'a', 'queued', 'x', '{not json')`).run();
    s.close();
    const again = TransferStore.open(state);
    expect(again.all().map((t) => t.id)).toEqual(['good']);
    again.close();
  });

  it('turns a refused write into STORAGE_FULL, keeps the change in memory and writes it once space returns', () => {
    const s = TransferStore.open(join(dir.path, 'state'));
    const health: Array<string | null> = [];
    s.onHealthChange((p) => health.push(p?.code ?? null));
    s.insert(record('one'), limits);
    fillUp(s);
    // A progress checkpoint with a large body needs new pages.
    const t = { ...record('one'), state: 'paused' as const, tag: 'y'.repeat(200_000) };
    expect(() => s.put(t)).toThrow(expect.objectContaining({ code: 'STORAGE_FULL' }));
    expect(s.get('one')?.state).toBe('paused');
    expect(s.isUnsaved('one')).toBe(true);
    expect(s.writeProblem()?.code).toBe('STORAGE_FULL');
    expect(() => s.insert(record('two', 'a', { tag: 'z'.repeat(200_000) }), limits)).toThrow(expect.objectContaining({ code: 'STORAGE_FULL' }));
    expect(s.get('two')).toBeUndefined(); // a refused insert queues nothing
    // A decision pass's transaction: refused as a whole, every record in it stays unsaved.
    const t2 = { ...t, tag: 'z'.repeat(300_000) };
    expect(() => s.transaction(() => s.put(t2))).toThrow(expect.objectContaining({ code: 'STORAGE_FULL' }));
    expect(s.get('one')).toBe(t2);
    expect(s.flushPending()).toBe(false);

    s.db.pragma('max_page_count = 1073741823');
    expect(s.flushPending()).toBe(true);
    expect(s.writeProblem()).toBeNull();
    expect(health).toEqual(['STORAGE_FULL', null]);
    s.close();
    const again = TransferStore.open(join(dir.path, 'state'));
    expect(again.get('one')?.state).toBe('paused');
    again.close();
  });

  it('a decision pass whose write the database refuses mid-batch: nothing is written outside it, every job in it is applied in memory and announced, unsaved', () => {
    const s = TransferStore.open(join(dir.path, 'state'));
    for (let i = 0; i < 40; i++) s.insert(record(`J${i}`, 'a', { headers: { x: 'y'.repeat(i === 0 ? 1 : 3000) } }), limits);
    const cfg = defaultConfig();
    const q = new JobQueue({ store: s, config: () => cfg, log: createLogger('silent') });
    const announced: string[] = [];
    q.subscribe((e) => announced.push(`${e.job.id}:${e.job.state}`));
    fillUp(s);
    // J1's record no longer fits; SQLite may roll the whole transaction back by itself, and J0's
    // start must then not be written on its own (outside the batch) either.
    expect(() =>
      q.updateMany([
        { id: 'J1', change: { attempts: 1, reasons: [], lastError: { code: 'X', message: 'z'.repeat(20_000) } }, event: 'start', durable: true },
        { id: 'J0', change: { attempts: 1, reasons: [] }, event: 'start', durable: true },
      ]),
    ).not.toThrow();
    expect([s.get('J0')!.state, s.get('J1')!.state]).toEqual(['running', 'running']);
    expect(announced).toEqual(['J1:running', 'J0:running']);
    expect([s.isUnsaved('J0'), s.isUnsaved('J1')]).toEqual([true, true]);
    expect(s.writeProblem()?.code).toBe('STORAGE_FULL');
    s.close();
    const again = TransferStore.open(join(dir.path, 'state'));
    expect([again.get('J0')!.state, again.get('J1')!.state]).toEqual(['queued', 'queued']);
    again.close();
  });

  it('a refused delete keeps the record and says so', () => {
    const s = TransferStore.open(join(dir.path, 'state'));
    s.insert(record('one'), limits);
    // A delete needs no new page; a read-only handle shows the same refusal path (SQLITE_READONLY).
    s.db.pragma('query_only = 1');
    expect(() => s.remove('one')).toThrow(expect.objectContaining({ code: 'STORAGE_ERROR' }));
    expect(s.get('one')).toBeTruthy();
    s.db.pragma('query_only = 0');
    expect(s.remove('one')).toBe(true);
    s.close();
  });
});
