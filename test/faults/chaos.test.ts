// Chaos: a seeded random client (downloads 1–24 MiB, some throttled; plain PUT and tus uploads; device
// pulls from the SMP simulator over a socat pty; pause/resume/cancel/delete) against the real ferryd,
// SIGKILLed at random moments ≥ 200 times (also while starting) and restarted each time. At the end: nothing acknowledged is lost, nothing completed
// is corrupt, no upload is delivered twice, no part file is left, and the bytes re-sent per kill.
// Replay a run with FERRY_CHAOS_SEED=<seed>; FERRY_CHAOS_KILLS changes the number of kills.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOrigin, type Origin } from '../support/origin.js';
import { startTusOrigin, type TusOrigin } from '../support/tus-origin.js';
import { makeTempDir } from '../support/tmp.js';
import { SerialDeviceBench } from '../sync/serial-device-bench.js';
import { ChaosWorkload, seeded, sha256, type Tracked } from './chaos-workload.js';
import { KillableAgent } from './killable-agent.js';

const KILLS = Number(process.env.FERRY_CHAOS_KILLS ?? 200);
const SEED = Number(process.env.FERRY_CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function partFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...partFiles(join(dir, e.name)));
    // Part files live in the root's private `.ferry-parts/` folder; `.NAME.ferry-part` is the old layout.
    else if (e.name.endsWith('.ferry-part') || dir.endsWith('/.ferry-parts')) out.push(join(dir, e.name));
  }
  return out;
}

/** tus file store: `<id>` holds the bytes, `<id>.json` the metadata (filename) and size. */
function tusUploads(dir: string): Array<{ id: string; filename: string; size: number; bytes: Buffer }> {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => {
      const info = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { id: string; size: number; metadata?: { filename?: string } };
      const id = f.slice(0, -5);
      return { id, filename: info.metadata?.filename ?? '', size: info.size, bytes: readFileSync(join(dir, id)) };
    });
}

describe('chaos: random SIGKILLs under a mixed workload', () => {
  let origin: Origin;
  let tus: TusOrigin;
  let bench: SerialDeviceBench;
  const benchDir = makeTempDir('ferry-chaos-dev-');
  // The device: an SMP simulator behind a socat pty (answers slowed so a kill lands mid-pull).
  const deviceFile = randomBytes(48_000);
  const agent = new KillableAgent({
    devices: [
      {
        id: 'dev',
        transport: { kind: 'serial', path: join(benchDir.path, 'dev'), presencePollMs: 200 },
        pull: [{ remote: '/lfs/data.bin' }],
        when: { onConnect: false },
        smp: { timeoutMs: 1000 },
        retry: { initialDelayS: 0.2, maxDelayS: 1, maxAttempts: 1000 },
      },
    ],
    policy: { concurrency: 4 },
    // Finished transfers count against the quota until removed: room for a whole run's work.
    transfers: { perClientLimit: 1000, totalLimit: 2000 },
    conditions: { storage: { lowBytes: 0, lowPercent: 0, floorBytes: 16 * 1024 * 1024 } },
    log: { level: 'info' },
  });
  beforeAll(async () => {
    origin = await startOrigin();
    tus = await startTusOrigin();
    bench = await SerialDeviceBench.start(benchDir.path, 'dev', { delayMs: 5 });
    bench.sim.files.set('/lfs/data.bin', new Uint8Array(deviceFile));
  });
  afterAll(async () => {
    await agent.stop();
    await bench?.close();
    benchDir.cleanup();
    await tus.close();
    await origin.close();
  });

  it(`loses, corrupts and duplicates nothing over ${KILLS} kills`, async () => {
    console.log(`chaos seed ${SEED} (replay: FERRY_CHAOS_SEED=${SEED}), ${KILLS} kills`);
    const rng = seeded(SEED);
    const device = { id: 'dev', remote: '/lfs/data.bin', path: 'devices/dev/data.bin', sha: sha256(deviceFile), size: deviceFile.length };
    const w = new ChaosWorkload({ rng, origin, tusUrl: tus.url, root: agent.root, api: (m, p, b) => agent.api(m, p, b), device });
    const started = Date.now();
    let early = 0;
    let crashes = 0;
    for (let k = 0; k < KILLS; k++) {
      agent.spawn();
      if (rng() < 0.3) {
        early++;
        await sleep(rng() * 900); // killed while starting: recovery, sweep, first decisions
      } else {
        if (!(await agent.ready())) throw new Error(`ferryd did not come up (kill ${k}):\n${agent.tail}`);
        // At least one client action per run, however slow the machine; the kill then comes at a random moment.
        await w.step(14).catch(() => undefined);
        const until = Date.now() + 100 + rng() * 600;
        const killer = sleep(until - Date.now()).then(() => agent.killHard());
        while (Date.now() < until) {
          await w.step(14).catch(() => undefined); // an answer lost in the kill: not acknowledged
          await sleep(rng() * 60);
        }
        await killer;
      }
      await agent.killHard();
      if ((k + 1) % 50 === 0) console.log(`chaos: ${k + 1} kills in ${((Date.now() - started) / 1000).toFixed(0)} s, ${w.tracked.length} transfers acknowledged`);
      if (agent.crashed()) {
        crashes++;
        console.log(`ferryd exited on its own before kill ${k}:\n${agent.tail.slice(-4000)}`);
      }
    }
    const killPhaseS = (Date.now() - started) / 1000;

    // Calm: one last start, everything paused resumes, wait for every transfer to end. "Every" is what the
    // agent holds, not only what was acknowledged: an enqueue whose answer a kill cut off still runs and
    // writes its part file until it ends.
    agent.spawn();
    expect(await agent.ready()).toBe(true);
    const get = async (t: Tracked) => agent.api('GET', `/v1/transfers/${t.id}`);
    const all = async (): Promise<Array<{ id: string; state: string }>> => (await agent.api('GET', '/v1/transfers')).body.transfers;
    for (const t of await all()) {
      if (t.state === 'paused') await agent.api('POST', `/v1/transfers/${t.id}/resume`);
    }
    const deadline = Date.now() + 150_000;
    for (;;) {
      const open = (await all()).filter((t) => !['completed', 'failed', 'cancelled'].includes(t.state));
      if (open.length === 0) break;
      if (Date.now() > deadline) throw new Error(`not settled: ${JSON.stringify(open)}`);
      await sleep(250);
    }
    const untracked = (await all()).filter((t) => !w.tracked.some((k) => k.id === t.id)).length;

    let lost = 0, resurrected = 0, corrupt = 0, duplicated = 0, repeatedPuts = 0, failed = 0, completed = 0;
    let resentDown = 0, resentUp = 0, devicePulls = 0;
    const uploads = tusUploads(tus.dir);
    for (const t of w.tracked) {
      const r = await get(t);
      if (t.deleteAcked) {
        if (r.status !== 404) resurrected++;
        continue;
      }
      if (r.status === 404) {
        if (!t.maybeGone) lost++;
        continue;
      }
      const s = r.body.state as string;
      if (t.cancelAcked && s !== 'cancelled') resurrected++;
      if (s === 'failed') {
        failed++;
        console.log(`failed: ${t.kind} ${t.path}: ${JSON.stringify(r.body.error)}`);
      }
      if (s !== 'completed') continue;
      completed++;
      const bad = (why: string) => {
        corrupt++;
        console.log(`corrupt: ${t.kind} ${t.path} ${t.remote}: ${why}`);
      };
      if (t.kind === 'device') {
        devicePulls++;
        if (sha256(readFileSync(join(agent.root, t.path))) !== t.sha) bad('sha256 differs');
      } else if (t.kind === 'download') {
        if (sha256(readFileSync(join(agent.root, t.path))) !== t.sha) bad('sha256 differs');
        resentDown += origin.bytesSent(t.remote) - t.size;
      } else if (t.kind === 'put') {
        const bodies = w.sinks.get(t.remote)!.bodies;
        if (bodies.length === 0 || sha256(bodies.at(-1)!) !== t.sha) bad(`${bodies.length} bodies, last differs`);
        repeatedPuts += Math.max(0, bodies.length - 1);
        resentUp += origin.log.filter((e) => e.path === t.remote).reduce((n, e) => n + e.bytesReceived, 0) - t.size;
      } else {
        const mine = uploads.filter((u) => u.filename === t.remote && u.bytes.length === u.size);
        if (mine.length === 0 || sha256(mine[0]!.bytes) !== t.sha) bad(`${mine.length} complete tus uploads`);
        duplicated += Math.max(0, mine.length - 1);
        const urls = new Set(uploads.filter((u) => u.filename === t.remote).map((u) => `/files/${u.id}`));
        resentUp += tus.log.filter((e) => urls.has(e.path)).reduce((n, e) => n + e.bytesReceived, 0) - t.size;
      }
    }
    const parts = partFiles(agent.root);
    const MiBf = (b: number) => (b / 1024 / 1024).toFixed(2);
    console.log(
      `chaos seed ${SEED}: ${KILLS} SIGKILLs (${early} during start-up) in ${killPhaseS.toFixed(0)} s; ` +
        `${w.tracked.length} transfers acknowledged, ${completed} completed (${devicePulls} device pulls over SMP), ${failed} failed; ` +
        `${untracked} more the agent took while its answer was cut off; ` +
        `lost ${lost}, resurrected ${resurrected}, corrupt ${corrupt}, duplicated tus uploads ${duplicated}, ` +
        `repeated idempotent PUTs ${repeatedPuts}, part files left ${parts.length}, crashes ${crashes}; ` +
        `re-sent per kill: downloads ${MiBf(resentDown / KILLS)} MiB, uploads ${MiBf(resentUp / KILLS)} MiB; actions ${JSON.stringify(w.actions)}`,
    );
    expect({ lost, resurrected, corrupt, duplicated, crashes, partFilesLeft: parts }).toEqual({ lost: 0, resurrected: 0, corrupt: 0, duplicated: 0, crashes: 0, partFilesLeft: [] });
    expect(completed).toBeGreaterThanOrEqual(Math.min(10, Math.floor(KILLS / 10)));
    expect(statSync(agent.root).isDirectory()).toBe(true);
  }, 1_500_000); // ~3 min on an idle 2-core machine; a loaded one starts node far slower
});
