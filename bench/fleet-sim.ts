// Fleet simulation on one machine: N real ferryd processes (own state dirs, sockets and transfer roots)
// on one Mosquitto, all in group `sim`. One group job fans out to all; then the broker is stopped for
// --down seconds while a second job (notBefore inside the outage) runs locally, and restarted: reports the
// reconnect spread (production backoff: 5 s doubling to 600 s, equal jitter) and that every status arrives.
// Run: npm run build && npm run bench:fleet -- [--agents 50] [--down 60]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import type { AgentProcess } from '../test/support/agent.js';
import { fleetAgent } from '../test/support/fleet-agent.js';
import { fleetAcl, Mosquitto } from '../test/support/mosquitto.js';
import { startOrigin } from '../test/support/origin.js';
import { waitFor } from '../test/support/wait.js';

const { values } = parseArgs({ options: { agents: { type: 'string', default: '50' }, down: { type: 'string', default: '60' } } });
const N = Number(values.agents);
const DOWN_S = Number(values.down);
const P = 'ferry/v1';
const CLK = 100; // USER_HZ
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function proc(pid: number): { cpuS: number; rssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const rss = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return { cpuS: (Number(f[11]) + Number(f[12])) / CLK, rssMiB: Number(rss.split(/\s+/)[1]) / 1024 };
}
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { min: +s[0]!.toFixed(2), median: +q(0.5).toFixed(2), p95: +q(0.95).toFixed(2), max: +s[s.length - 1]!.toFixed(2) };
};

const cleanup: Array<() => Promise<void> | void> = [];
async function main(): Promise<void> {
  const ids = Array.from({ length: N }, (_, i) => `gw-${String(i).padStart(3, '0')}`);
  const broker = new Mosquitto(Object.fromEntries([['operator', 'op'], ...ids.map((g) => [g, `pw-${g}`])]), fleetAcl(Object.fromEntries(ids.map((g) => [g, ['sim']]))));
  cleanup.push(() => broker.close());
  await broker.start();
  const origin = await startOrigin();
  cleanup.unshift(() => origin.close());
  const file = randomBytes(256 * 1024);
  origin.file('/fw.bin', file);
  const watch = broker.watch('operator', `${P}/#`);
  const agents: AgentProcess[] = ids.map((g) => fleetAgent(broker, g, { groups: ['sim'], reconnectMinS: 5, reconnectMaxS: 600 }));
  cleanup.unshift(async () => {
    for (const a of agents) await a.stop().catch(() => undefined);
  });
  const env = { NODE_OPTIONS: '--max-old-space-size=64 --max-semi-space-size=2' };
  const tStart = Date.now();
  // One at a time, with a long start timeout: the machine is shared and often loaded.
  for (const a of agents) await a.start(env, 90_000);
  await waitFor(() => ids.every((g) => watch.json(`${P}/${g}/online`)?.online === true), 120_000, 'all online', 200);
  console.error(`${N} agents online in ${((Date.now() - tStart) / 1000).toFixed(1)} s`);
  await sleep(3000);

  const status = (g: string, job: string) => watch.json(`${P}/${g}/jobs/${job}/status`);
  const pids = agents.map((a) => a.child!.pid!);
  const brokerPid = broker.child!.pid!;
  const before = { broker: proc(brokerPid), agents: pids.map(proc) };
  const t0 = Date.now();
  broker.pub('operator', `${P}/groups/sim/jobs/fan1`, JSON.stringify({ transfer: { url: origin.url('/fw.bin'), path: 'fw.bin' } }));
  const doneAt = new Map<string, number>();
  await waitFor(() => {
    for (const g of ids) if (!doneAt.has(g) && status(g, 'fan1')?.state === 'completed') doneAt.set(g, Date.now() - t0);
    return doneAt.size === N;
  }, 180_000, 'fan1 completed everywhere', 20);
  const fanMs = Math.max(...doneAt.values());
  const after = { broker: proc(brokerPid), agents: pids.map(proc) };
  const bytes = await Promise.all(agents.map(async (a) => (await a.api('GET', '/v1/fleet')).body.bytes as { sent: number; received: number }));

  // Outage: job 2 becomes due while the broker is down; its statuses wait in the agents' outboxes.
  const due = new Date(Date.now() + 10_000).toISOString();
  broker.pub('operator', `${P}/groups/sim/jobs/fan2`, JSON.stringify({ notBefore: due, transfer: { url: origin.url('/fw.bin'), path: 'fw2.bin' } }));
  await waitFor(() => ids.every((g) => status(g, 'fan2')?.state === 'queued'), 60_000, 'fan2 accepted everywhere', 100);
  watch.stop();
  await broker.stop();
  const downAt = Date.now();
  await sleep(DOWN_S * 1000);
  const outboxes = await Promise.all(agents.map(async (a) => (await a.api('GET', '/v1/fleet')).body.outbox as number));
  await broker.start();
  const upAt = Date.now();
  const watch2 = broker.watch('operator', `${P}/#`);
  const reconnectS = new Map<string, number>();
  await waitFor(async () => {
    await Promise.all(agents.map(async (a, i) => {
      if (reconnectS.has(ids[i]!)) return;
      const h = (await a.api('GET', '/v1/health')).body.fleet;
      if (h.state === 'connected') reconnectS.set(ids[i]!, (Date.parse(h.since) - upAt) / 1000);
    }));
    return reconnectS.size === N;
  }, 900_000, 'all reconnected', 250);
  await waitFor(() => ids.every((g) => watch2.json(`${P}/${g}/jobs/fan2/status`)?.state === 'completed'), 120_000, 'fan2 statuses after restart', 200);
  const lost = ids.filter((g) => watch2.json(`${P}/${g}/jobs/fan1/status`)?.state !== 'completed');
  const transfers = await Promise.all(agents.map(async (a) => (await a.api('GET', '/v1/transfers')).body.transfers.filter((t: any) => t.owner === 'fleet').length));
  const perSecond = new Map<number, number>();
  for (const s of reconnectS.values()) perSecond.set(Math.floor(s), (perSecond.get(Math.floor(s)) ?? 0) + 1);

  console.log(JSON.stringify({
    agents: N,
    fanOut: {
      allCompletedS: +(fanMs / 1000).toFixed(2),
      completedS: stats([...doneAt.values()].map((x) => x / 1000)),
      brokerCpuS: +(after.broker.cpuS - before.broker.cpuS).toFixed(2),
      brokerRssMiB: +after.broker.rssMiB.toFixed(1),
      agentCpuS: stats(after.agents.map((x, i) => x.cpuS - before.agents[i]!.cpuS)),
      agentRssMiB: stats(after.agents.map((x) => x.rssMiB)),
      mqttBytesPerAgentSinceStart: stats(bytes.map((b) => b.sent + b.received)),
    },
    outage: {
      downS: +((upAt - downAt) / 1000).toFixed(1),
      statusesWaitingInOutboxes: outboxes.reduce((a, b) => a + b, 0),
      reconnectAfterRestartS: stats([...reconnectS.values()]),
      maxReconnectsInOneSecond: Math.max(...perSecond.values()),
      fan2StatusesArrived: N,
      fan1StatusesMissingAfterRestart: lost.length,
      fleetTransfersPerAgent: stats(transfers),
    },
  }, null, 2));
  watch2.stop();
}

try {
  await main();
} finally {
  for (const c of cleanup) await c();
}
