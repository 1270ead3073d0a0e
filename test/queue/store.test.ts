import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TransferStore } from '../../src/queue/store.js';
import { record } from '../support/records.js';
import { makeTempDir } from '../support/tmp.js';

describe('TransferStore', () => {
  let dir: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => dir.cleanup());

  it('keeps transfers, progress and resume state across a reopen', () => {
    const s = TransferStore.open(dir.path);
    const t = record('one');
    s.insert(t, { perClient: 25, total: 500 });
    t.bytesTransferred = 4096;
    t.resume = { etag: '"v1"' };
    s.put(t);
    s.close();
    const again = TransferStore.open(dir.path);
    expect(again.get('one')).toMatchObject({ bytesTransferred: 4096, resume: { etag: '"v1"' }, owner: 'a' });
    again.close();
  });

  it('refuses the 26th outstanding transfer of a client, finished ones included, and frees a slot on remove', () => {
    const s = TransferStore.open(dir.path);
    const limits = { perClient: 25, total: 500 };
    for (let i = 0; i < 25; i++) s.insert(record(`t${i}`, 'a', { state: i === 0 ? 'completed' : 'queued' }), limits);
    expect(() => s.insert(record('t25'), limits)).toThrow(expect.objectContaining({ code: 'QUOTA_EXCEEDED' }));
    s.insert(record('other', 'b'), limits); // another client is not affected
    s.remove('t0');
    s.insert(record('t25'), limits);
    expect(s.countFor('a')).toBe(25);
    s.close();
  });

  it('refuses transfers past the agent-wide limit', () => {
    const s = TransferStore.open(dir.path);
    const limits = { perClient: 25, total: 3 };
    s.insert(record('1', 'a'), limits);
    s.insert(record('2', 'b'), limits);
    s.insert(record('3', 'c'), limits);
    expect(() => s.insert(record('4', 'd'), limits)).toThrow(/holds 3 transfers/);
    s.close();
  });

  it('writes many records in one transaction', () => {
    const s = TransferStore.open(dir.path);
    const list = Array.from({ length: 100 }, (_, i) => record(`m${i}`, `c${i}`));
    for (const t of list) s.insert(t, { perClient: 25, total: 500 });
    for (const t of list) t.state = 'waiting';
    s.transaction(() => {
      for (const t of list) s.put(t);
    });
    s.close();
    const again = TransferStore.open(dir.path);
    expect(again.countByState()).toEqual({ waiting: 100 });
    again.close();
  });
});
