// An uploaded lines-spool file's record is removed by a queue listener. When the state disk refuses
// that removal (here read-only: SQLite's query_only), the agent logs it and goes on (it was an
// unhandled rejection, which ends a Node process); the record goes at the next start instead.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { JobQueue } from '../../src/queue/job-queue.js';
import { TransferStore } from '../../src/queue/store.js';
import { DeviceSync } from '../../src/sync/device-sync.js';
import { record } from '../support/records.js';
import { makeTempDir } from '../support/tmp.js';

describe('uploaded spool records', () => {
  it('a removal the state disk refuses is logged, not thrown; the next start removes the record', async () => {
    const dir = makeTempDir('ferry-spool-');
    const lines: string[] = [];
    const log = createLogger('info', { write: (l: string) => lines.push(l) } as never);
    const cfg = { ...defaultConfig(), transfersRoot: join(dir.path, 'root'), devices: [] };
    const hw = { sysRoot: join(dir.path, 'sys'), devRoot: join(dir.path, 'dev') } as never;
    const store = TransferStore.open(join(dir.path, 'state'), { log });
    const q = new JobQueue({ store, config: () => cfg, log });
    const sync = await DeviceSync.create({ config: () => cfg as never, queue: q, hw, log });
    await sync.start();
    store.insert(record('S', 'device-sync', { state: 'running', direction: 'upload', tag: 'device-lines:gps', path: 'device-sync/gps/x.log' }), { perClient: 99, total: 99 });
    store.db.pragma('query_only = ON');
    q.update('S', {}, { event: 'complete', durable: true });
    await new Promise((r) => setTimeout(r, 100));
    expect(lines.join('')).toMatch(/uploaded spool record not removed/);
    expect(store.get('S')?.state).toBe('completed');
    await sync.close();
    store.db.pragma('query_only = OFF');
    expect(store.flushPending()).toBe(true);
    const again = await DeviceSync.create({ config: () => cfg as never, queue: q, hw, log });
    await again.start();
    expect(store.get('S')).toBeUndefined();
    await again.close();
    store.close();
    dir.cleanup();
  });
});
