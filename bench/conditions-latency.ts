// How fast ferry reacts to a change of conditions, in one run:
// (1) end to end: NetworkManager's Metered flips to "yes" (a PropertiesChanged on a private D-Bus) while
//     unmetered-constrained transfers run in the real ferryd; measured until the SSE stream (GET /v1/events)
//     shows every one of them `waiting`. Target: median <= 250 ms.
// (2) in process: one Scheduler.reconcile() over 10 000 queued transfers after a conditions flip (decide every
//     one, write the changed ones to SQLite in one transaction). Target: <= 50 ms.
// Usage: npx tsx bench/conditions-latency.ts [--flips 60] [--queued 10000] [--passes 40] [--in-process-only]
// (needs `npm run build`)
import { request, type IncomingMessage } from 'node:http';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { AgentProcess } from '../test/support/agent.js';
import { dbusUnavailableReason, NetworkManagerMock, startPrivateBus, type PrivateBus } from '../test/support/dbus.js';
import { createSysfsFixture } from '../test/support/sysfs.js';
import { startOrigin } from '../test/support/origin.js';
import { waitFor } from '../test/support/wait.js';
import { makeTempDir } from '../test/support/tmp.js';
import { MutableConditions, wiredExternal } from '../test/support/mutable-conditions.js';
import { addMatch, unwrap } from '../src/conditions/dbus-call.js';
import { SseParser } from '../src/cli/sse-parser.js';
import { defaultConfig } from '../src/config/load.js';
import type { Conditions } from '../src/conditions/snapshot.js';
import type { HttpJob, Job, Preferences } from '../src/model/job.js';
import { decide } from '../src/policy/decide.js';
import { JobQueue } from '../src/queue/job-queue.js';
import { TransferStore } from '../src/queue/store.js';
import { Scheduler } from '../src/scheduler/scheduler.js';
import type { AttemptRunner } from '../src/scheduler/runner.js';
import { record } from '../test/support/records.js';

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? Number(process.argv[i + 1]) : def;
};
const FLIPS = arg('flips', 60);
const QUEUED = arg('queued', 10_000);
const PASSES = arg('passes', 40);
const AFFECTED = 4;

function stats(xs: number[]): { median: number; p95: number; min: number; max: number; n: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
  return { median: at(0.5), p95: at(0.95), min: s[0]!, max: s[s.length - 1]!, n: s.length };
}
const ms = (x: number) => x.toFixed(x < 10 ? 2 : 1);

// ---------- (1) D-Bus PropertiesChanged → SSE "waiting", real ferryd ----------

interface Seen {
  state: string;
  at: number;
}

async function endToEnd(): Promise<{ fromSignal: number[]; fromSetter: number[]; resume: number[] } | string> {
  const why = dbusUnavailableReason();
  if (why) return why;
  const bus: PrivateBus = await startPrivateBus();
  const fx = createSysfsFixture();
  const origin = await startOrigin();
  const agent = new AgentProcess({
    conditions: { source: 'live', sysfsRoot: fx.root },
    // The affected ones plus one without the constraint, which must keep running throughout.
    policy: { concurrency: AFFECTED + 1 },
  });
  let sse: IncomingMessage | null = null;
  try {
    const nm = await NetworkManagerMock.start(bus, { primary: 'wifi', metered: 'no' });
    await agent.start({ DBUS_SYSTEM_BUS_ADDRESS: bus.address });

    // Our own view of the bus: the moment NetworkManager's manager object announces Metered.
    const watcher = await bus.connect();
    let signalAt = 0;
    await addMatch(watcher, "type='signal',sender='org.freedesktop.NetworkManager',path='/org/freedesktop/NetworkManager',member='PropertiesChanged'");
    watcher.on('message', (m: { member?: string; body: unknown[] }) => {
      if (m.member !== 'PropertiesChanged') return;
      const changed = m.body[1] as Record<string, unknown> | undefined;
      if (changed && 'Metered' in changed && unwrap(changed.Metered) === 1) signalAt = performance.now();
    });

    const latest = new Map<string, Seen>();
    const parser = new SseParser();
    sse = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request({ socketPath: agent.socket, path: '/v1/events' }, resolve);
      req.on('error', reject);
      req.end();
    });
    sse.setEncoding('utf8');
    sse.on('data', (chunk: string) => {
      const at = performance.now();
      for (const ev of parser.push(chunk)) {
        if (ev.event !== 'transfer') continue;
        const t = ev.data as { id: string; state: string };
        const prev = latest.get(t.id);
        if (!prev || prev.state !== t.state) latest.set(t.id, { state: t.state, at });
      }
    });

    // Slow enough to run for the whole benchmark: about 60 KB/s each.
    const content = randomBytes(32 * 1024 * 1024);
    const ids: string[] = [];
    for (let i = 0; i <= AFFECTED; i++) {
      origin.file(`/f${i}`, content, { throttleBytesPerSec: 60_000 });
      const r = await agent.api('POST', '/v1/transfers', {
        url: origin.url(`/f${i}`),
        path: `bench/f${i}`,
        constraints: { unmetered: i < AFFECTED },
      });
      if (r.status !== 201) throw new Error(`enqueue: ${JSON.stringify(r.body)}`);
      ids.push(r.body.id as string);
    }
    const affected = ids.slice(0, AFFECTED);
    const bystander = ids[AFFECTED]!;
    const allIn = (state: string) => affected.every((id) => latest.get(id)?.state === state);
    await waitFor(() => allIn('running') && latest.get(bystander)?.state === 'running', 10_000, 'all running');

    const fromSignal: number[] = [];
    const fromSetter: number[] = [];
    const resume: number[] = [];
    for (let i = 0; i < FLIPS; i++) {
      signalAt = 0;
      const setterAt = performance.now();
      await nm.setMetered('yes');
      await waitFor(() => signalAt > 0 && allIn('waiting'), 5000, `flip ${i}: all paused`, 2);
      const pausedAt = Math.max(...affected.map((id) => latest.get(id)!.at));
      fromSignal.push(pausedAt - signalAt);
      fromSetter.push(pausedAt - setterAt);
      if (latest.get(bystander)?.state !== 'running') throw new Error('the unconstrained transfer was stopped too');

      const unmeteredAt = performance.now();
      await nm.setMetered('no');
      await waitFor(() => allIn('running'), 5000, `flip ${i}: all running again`, 2);
      resume.push(Math.max(...affected.map((id) => latest.get(id)!.at)) - unmeteredAt);
    }
    return { fromSignal, fromSetter, resume };
  } finally {
    sse?.destroy();
    await agent.stop();
    await origin.close();
    await bus.stop();
    fx.cleanup();
  }
}

// ---------- (2) Scheduler.reconcile() over 10 000 queued transfers ----------

const PREFS: Preferences[] = ['none', 'allowCellular', 'allowBattery', 'allowCellularAndBattery'];

function population(n: number): Job[] {
  const base = Date.parse('2025-01-01T00:00:00Z');
  const out: Job[] = [];
  for (let i = 0; i < n; i++) {
    const upload = i % 3 === 0;
    const createdAt = new Date(base + i * 1000).toISOString();
    out.push(
      record(`t${String(i).padStart(6, '0')}`, `client-${i % 400}`, {
        direction: upload ? 'upload' : 'download',
        method: upload ? 'PUT' : 'GET',
        totalBytes: i % 5 === 0 ? null : ((i * 7919) % 90) * 1024 * 1024,
        preferences: PREFS[i % 4]!,
        constraints: { unmetered: i % 7 === 0, charging: i % 11 === 0, batteryNotLow: i % 13 === 0, storageNotLow: true },
        userInitiated: i % 17 === 0,
        expedited: i % 29 === 0,
        createdAt,
        updatedAt: createdAt,
      }),
    );
  }
  return out;
}

const WORLDS: Array<[string, (c: Conditions) => void]> = [
  ['wifi, mains', () => undefined],
  ['LTE metered', (c) => Object.assign(c.network, { kind: 'cellular', interface: 'wwan0', generation: '4g', metered: true })],
  ['LTE roaming', (c) => Object.assign(c.network, { kind: 'cellular', interface: 'wwan0', generation: '4g', metered: true, roaming: true })],
  ['2G', (c) => Object.assign(c.network, { kind: 'cellular', interface: 'wwan0', generation: '2g', metered: true })],
  ['wifi, battery 40 %', (c) => Object.assign(c.power, { source: 'battery', batteryPercent: 40, charging: false })],
  ['LTE, plan over', (c) => {
    Object.assign(c.network, { kind: 'cellular', interface: 'wwan0', generation: '4g', metered: true });
    c.dataPlan.state = 'over';
  }],
];

interface ReconcileFigures {
  cold: number;
  flips: number[];
  changed: number[];
  noop: number[];
  decideOnly: number[];
}

/**
 * `writes: false` hands the scheduler the same store with its SQLite writes skipped (reads and the
 * in-memory map unchanged): what a pass costs when only the decisions are made, not persisted.
 */
async function reconcileBench(writes: boolean): Promise<ReconcileFigures> {
  const tmp = makeTempDir('ferry-bench-');
  const real = TransferStore.open(tmp.path);
  real.transaction(() => {
    for (const t of population(QUEUED)) real.put(t);
  });
  // Without writes, a durable change is kept in memory only (what `keep` does for waiting reasons).
  const store = writes
    ? real
    : (new Proxy(real, {
        get: (target, key) => (key === 'put' ? (t: Job) => target.keep(t) : Reflect.get(target, key, target)),
      }) as TransferStore);
  const conditions = new MutableConditions(wiredExternal());
  // Starts nothing real: an attempt just waits to be stopped.
  const idle: AttemptRunner<HttpJob> = {
    runAttempt: (t, signal) =>
      new Promise((resolve) => signal.addEventListener('abort', () => resolve({ outcome: 'aborted', bytesTransferred: t.bytesTransferred }), { once: true })),
  };
  const cfg = defaultConfig();
  const log = pino({ level: 'silent' });
  const scheduler = new Scheduler({ queue: new JobQueue({ store, config: () => cfg, log }), conditions, runners: { http: idle }, config: () => cfg, log });
  const settle = () => new Promise((r) => setTimeout(r, 5));
  try {
    let t0 = performance.now();
    scheduler.reconcile();
    const cold = performance.now() - t0;
    await settle();

    const flips: number[] = [];
    const changed: number[] = [];
    for (let i = 0; i < PASSES; i++) {
      const [, patch] = WORLDS[(i + 1) % WORLDS.length]!; // never the same world twice in a row
      conditions.set((c) => {
        Object.assign(c, wiredExternal());
        patch(c);
      });
      t0 = performance.now();
      changed.push(scheduler.reconcile());
      flips.push(performance.now() - t0);
      await settle(); // let stopped attempts settle (their follow-up pass is not measured)
    }
    // A change that moves no decision (battery level on mains): the cost of deciding alone.
    const noop: number[] = [];
    conditions.set((c) => Object.assign(c, wiredExternal()));
    scheduler.reconcile();
    await settle();
    for (let i = 0; i < PASSES; i++) {
      conditions.set((c) => Object.assign(c.power, { batteryPercent: 50 + (i % 10) }));
      t0 = performance.now();
      scheduler.reconcile();
      noop.push(performance.now() - t0);
    }
    // decide() alone over the same population: the policy's share of a pass.
    const decideOnly: number[] = [];
    const all = store.all();
    const c = conditions.current();
    for (let i = 0; i < PASSES; i++) {
      t0 = performance.now();
      for (const t of all) decide(t, c, cfg.policy, Date.now());
      decideOnly.push(performance.now() - t0);
    }
    return { cold, flips, changed, noop, decideOnly };
  } finally {
    await scheduler.shutdown();
    real.close();
    tmp.cleanup();
  }
}

async function main(): Promise<void> {
  console.log(`conditions latency: ${FLIPS} flips end to end, ${QUEUED} queued transfers × ${PASSES} passes in process\n`);
  const e2e = process.argv.includes('--in-process-only') ? 'not asked for (--in-process-only)' : await endToEnd();
  const rec = await reconcileBench(true);
  const bare = await reconcileBench(false);
  const rows: string[][] = [['measure', 'n', 'median ms', 'p95 ms', 'min ms', 'max ms']];
  const row = (name: string, xs: number[]) => {
    const x = stats(xs);
    rows.push([name, String(x.n), ms(x.median), ms(x.p95), ms(x.min), ms(x.max)]);
  };
  if (typeof e2e === 'string') {
    console.log(`(1) skipped: ${e2e}`);
  } else {
    row(`PropertiesChanged(Metered=yes) → SSE all ${AFFECTED} waiting`, e2e.fromSignal);
    row('  same, from the mock setter call', e2e.fromSetter);
    row(`Metered=no setter → SSE all ${AFFECTED} running again`, e2e.resume);
  }
  const avg = (xs: number[]) => Math.round(xs.reduce((x, y) => x + y, 0) / xs.length);
  rows.push([`reconcile() ${QUEUED} queued, cold first pass`, '1', ms(rec.cold), '-', '-', '-']);
  row(`reconcile() after a flip (avg ${avg(rec.changed)} changed)`, rec.flips);
  row('reconcile() after a change that moves nothing', rec.noop);
  rows.push([`  same passes without SQLite writes: cold`, '1', ms(bare.cold), '-', '-', '-']);
  row(`  after a flip (avg ${avg(bare.changed)} changed)`, bare.flips);
  row(`decide() alone × ${QUEUED}`, rec.decideOnly);
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  '));
  console.log('\nmarkdown:\n');
  console.log(`| ${rows[0]!.join(' | ')} |\n|${rows[0]!.map(() => '---').join('|')}|`);
  for (const r of rows.slice(1)) console.log(`| ${r.join(' | ')} |`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
