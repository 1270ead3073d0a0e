// ferryd's resident memory idle and with 500 queued transfers, read from /proc of the real daemon
// (dist/ build, embedded defaults apart from temp paths). Run: npm run build && npx tsx bench/agent-rss.ts
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { AgentProcess } from '../test/support/agent.js';

const rssMiB = (pid: number): number => {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.split(/\s+/)[1]) / 1024;
};
const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The peer: a bare Node.js process that does nothing, on the same machine, in the same run. */
async function bareNodeMiB(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e9)'], { stdio: 'ignore' });
  await settle(3000);
  const v = rssMiB(child.pid!);
  child.kill();
  return v;
}

async function measure(env: Record<string, string>): Promise<{ idle: number; queued: number; enqueueMs: number; waiting: number }> {
  // No network in the static conditions: every transfer waits, so the figure is the queue's cost alone.
  const agent = new AgentProcess({
    log: { level: 'warn' },
    transfers: { perClientLimit: 500, totalLimit: 500 },
    conditions: { static: { network: { kind: 'none' } } },
  });
  await agent.start(env);
  const pid = agent.child!.pid!;
  await settle(3000);
  const idle = rssMiB(pid);
  const t0 = performance.now();
  for (let i = 0; i < 500; i++) {
    const r = await agent.api('POST', '/v1/transfers', { url: `http://127.0.0.1:9/file-${i}.bin`, path: `q/file-${i}.bin`, tag: `bench-${i}` });
    if (r.status !== 201) throw new Error(`enqueue ${i}: ${JSON.stringify(r.body)}`);
  }
  const enqueueMs = performance.now() - t0;
  await settle(3000);
  const queued = rssMiB(pid);
  const list = await agent.api('GET', '/v1/transfers');
  const waiting = list.body.transfers.filter((t: { state: string }) => t.state === 'waiting').length;
  await agent.stop();
  return { idle, queued, enqueueMs, waiting };
}

async function main(): Promise<void> {
  const bare = await bareNodeMiB();
  const plain = await measure({});
  const small = await measure({ NODE_OPTIONS: '--max-semi-space-size=1' });
  console.log('| measure | default V8 flags | --max-semi-space-size=1 |');
  console.log('|---|---|---|');
  console.log(`| bare \`node\` process (the peer) | ${bare.toFixed(1)} MiB | |`);
  console.log(`| ferryd RSS idle | ${plain.idle.toFixed(1)} MiB (node + ${(plain.idle - bare).toFixed(1)}) | ${small.idle.toFixed(1)} MiB (node + ${(small.idle - bare).toFixed(1)}) |`);
  console.log(`| ferryd RSS with 500 queued | ${plain.queued.toFixed(1)} MiB | ${small.queued.toFixed(1)} MiB |`);
  console.log(`| 500 enqueues over the socket (sequential, each fsynced) | ${plain.enqueueMs.toFixed(0)} ms | ${small.enqueueMs.toFixed(0)} ms |`);
  console.log(`| transfers waiting (no network) | ${plain.waiting} | ${small.waiting} |`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
