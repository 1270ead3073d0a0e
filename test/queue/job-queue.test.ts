import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { defaultConfig } from '../../src/config/load.js';
import { JobQueue, type QueueEvent } from '../../src/queue/job-queue.js';
import { TransferStore } from '../../src/queue/store.js';
import { TRANSITIONS } from '../../src/model/transitions.js';
import { record } from '../support/records.js';
import { makeTempDir } from '../support/tmp.js';

describe('JobQueue (the one way in)', () => {
  let dir: ReturnType<typeof makeTempDir>;
  let store: TransferStore;
  const cfg = defaultConfig();
  const open = () => new JobQueue({ store, config: () => cfg, log: pino({ level: 'silent' }) });
  beforeEach(() => {
    dir = makeTempDir();
    store = TransferStore.open(dir.path);
  });
  afterEach(() => {
    store.close();
    dir.cleanup();
  });

  it('announces a change a listener makes behind the event it is handling, with seq rising per job', () => {
    const q = open();
    const seen: Array<[string, string, number]> = [];
    // The first listener reacts to `added` by changing the job, as the scheduler does.
    q.subscribe((e) => {
      if (e.type === 'added') q.update(e.job.id, { reasons: [] }, { event: 'start', durable: true });
    });
    q.subscribe((e) => seen.push([e.type, e.job.state, e.job.seq]));
    q.add(record('a'));
    expect(seen).toEqual([
      ['added', 'queued', 0],
      ['changed', 'running', 1],
    ]);
  });

  it('never changes a record it handed out: a change is a new record, the old one stays as it was', () => {
    const q = open();
    const before = q.add(record('a'));
    const after = q.update('a', { bytesTransferred: 10 }, { durable: false })!;
    expect(after).not.toBe(before);
    expect(before.bytesTransferred).toBe(0);
    expect(after.bytesTransferred).toBe(10);
    expect(q.get('a')).toBe(after);
  });

  it('refuses a change of state the transition table does not allow', () => {
    const q = open();
    q.add(record('a', 'x', { state: 'completed' }));
    expect(() => q.update('a', {}, { event: 'start', durable: true })).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
    expect(TRANSITIONS.start.from).not.toContain('completed');
  });

  it('commits durable changes before announcing them, and keeps others in memory only', () => {
    const q = open();
    q.add(record('a'));
    q.update('a', { bytesTransferred: 5 }, { durable: false });
    q.subscribe((e) => {
      // What a listener hears is already in the database.
      const row = store.db.prepare('SELECT data FROM transfers WHERE id = ?').get(e.job.id) as { data: string };
      expect(JSON.parse(row.data).bytesTransferred).toBe(e.job.bytesTransferred);
    });
    q.update('a', { bytesTransferred: 7 }, { event: 'start', durable: true });
  });

  it('puts jobs a crash left running back in line when it opens', () => {
    store.insert(record('r', 'x', { state: 'running', bytesTransferred: 5 }), { perClient: 25, total: 500 });
    const q = open();
    expect(q.get('r')).toMatchObject({ state: 'queued', bytesTransferred: 5 });
  });

  it('keeps one listener failing from stopping the others', () => {
    const q = open();
    const got: QueueEvent['type'][] = [];
    q.subscribe(() => {
      throw new Error('listener bug');
    });
    q.subscribe((e) => got.push(e.type));
    q.add(record('a'));
    q.remove('a');
    expect(got).toEqual(['added', 'removed']);
  });

  it('leaves rows that are not jobs out of the queue instead of failing to start', () => {
    store.insert(record('good'), { perClient: 25, total: 500 });
    store.close();
    const db = new Database(join(dir.path, 'ferry.db'));
    const noKind = { ...record('nokind'), kind: 'ftp' };
    const at = noKind.createdAt;
    db.prepare('INSERT INTO transfers (id, owner, state, created_at, data) VALUES (?, ?, ?, ?, ?)').run('nokind', 'a', 'queued', at, JSON.stringify(noKind));
    db.prepare('INSERT INTO transfers (id, owner, state, created_at, data) VALUES (?, ?, ?, ?, ?)').run('junk', 'a', 'queued', at, '{not json');
    db.close();
    store = TransferStore.open(dir.path);
    expect(store.unreadable.sort()).toEqual(['junk', 'nokind']);
    expect(open().all().map((t) => t.id)).toEqual(['good']);
  });
});
