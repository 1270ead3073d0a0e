// CPU per byte, throughput, memory and bytes re-sent after a SIGKILL of the REAL ferryd (built dist/,
// default config, state and transfers on a real disk under /var/tmp), queued over its socket, against
// curl in the same run with alternating rounds, on a private nginx (full speed and limit_rate) and a tus
// server on loopback, and over a shaped link between two network namespaces (daemon/link.ts; root only).
// Prints ratios against the issue-10 targets.
// Usage: npm run build && npx tsx bench/daemon-http.ts [--quick] [--rounds N] [--only NAME,NAME]
//        [--keep] (leave the work dir and ferryd.log) [--ferryd-args "--cpu-prof --cpu-prof-dir D"]
//        [--strace DIR [--strace-args "-f -T -e trace=fsync"]] (default strace -c -f of each ferry round)
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cpuMeter, Ferryd, resetPeak, rssMiB } from './daemon/ferryd.js';
import { linkUnavailable, startLink, type Link } from './daemon/link.js';
import { makeFile, startNginx, startTus, type Nginx, type TusServer } from './daemon/origin.js';
import { curlDownload, curlPut, curlTus, measureShell, median, q, sh, type Measure } from './daemon/peer.js';

const argv = process.argv.slice(2);
const flag = (name: string): boolean => argv.includes(`--${name}`);
const opt = (name: string, def: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : def;
};
const quick = flag('quick');
const rounds = Number(opt('rounds', quick ? '1' : '3'));
const only = opt('only', '');
const straceDir = opt('strace', '');
const straceArgs = opt('strace-args', '-c -f').split(' ').filter(Boolean);
const ferrydArgs = opt('ferryd-args', '').split(' ').filter(Boolean);
const MiB = 1024 * 1024;
const SIZES = quick ? { fast: 256, r12: 64, r2: 8, kill6: 24 } : { fast: 1024, r12: 256, r2: 64, kill6: 64 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Row {
  name: string;
  ferry: Measure[];
  curl: Measure[];
  /** Targets: throughput ratio (curl wall / ferry wall) at least, CPU ratio at most. */
  minTput: number;
  maxCpu: number;
}

interface Ctx {
  work: string;
  /** Where the origins store upload bodies (tmpfs when it has room: the origin's disk is not what is measured). */
  bodies: string;
  www: string;
  nginx: Nginx;
  tus: TusServer;
  ferryd: Ferryd;
  rows: Row[];
  notes: string[];
  /** The link and a ferryd on its agent side, made by the first link case. */
  link?: { link: Link; ferryd: Ferryd };
}

/** Measures one ferry transfer from enqueue to the final event; optionally under strace -c. */
async function ferryRound(c: Ctx, tag: string, body: Record<string, unknown>, ferryd = c.ferryd): Promise<Measure & { peakMiB: number }> {
  const pid = ferryd.pid;
  const strace = straceDir ? spawn('strace', [...straceArgs, '-p', String(pid), '-o', join(straceDir, `${tag.replace(/\W+/g, '-')}.txt`)], { stdio: 'ignore' }) : null;
  const straced = strace ? new Promise((r) => strace.once('exit', r)) : null;
  if (strace) await sleep(300);
  resetPeak(pid);
  const cpu = cpuMeter(pid);
  const t0 = performance.now();
  const id = await ferryd.enqueue(body);
  const t = await ferryd.done(id);
  const wallS = (performance.now() - t0) / 1000;
  const cpuS = cpu.seconds();
  if (!cpu.precise()) c.notes.push(`${tag}: a ferryd thread ended during the round, its CPU is in 10 ms ticks`);
  const peakMiB = rssMiB(pid, 'VmHWM');
  if (strace) {
    strace.kill('SIGINT');
    await straced;
  }
  if (t.state !== 'completed') throw new Error(`ferry ${tag}: ${t.state} ${JSON.stringify(t.error ?? t.lastError)}`);
  return { wallS, cpuS, peakMiB };
}

async function download(c: Ctx, name: string, rate: 'fast' | number, sizeMiB: number, minTput: number): Promise<void> {
  const file = `d${sizeMiB}.bin`;
  const url = `${c.nginx.base}${c.nginx.prefix(rate)}${file}`;
  const row: Row = { name, ferry: [], curl: [], minTput, maxCpu: 1.5 };
  for (let i = 0; i < rounds; i++) {
    const out = join(c.ferryd.root, 'curl.bin');
    // Alternate who goes first: the page cache and the neighbours' load favour neither.
    const pair = [
      async () => row.curl.push(await curlDownload(url, out)),
      async () => {
        const m = await ferryRound(c, `${name}-${i}`, { url, path: 'ferry.bin' });
        row.ferry.push(m);
        if (rate === 'fast') c.notes.push(`${name} round ${i}: ferryd peak RSS ${m.peakMiB.toFixed(1)} MiB`);
      },
    ];
    for (const step of i % 2 ? pair.reverse() : pair) await step();
    for (const f of ['curl.bin', 'ferry.bin']) {
      if (statSync(join(c.ferryd.root, f)).size !== sizeMiB * MiB) throw new Error(`${name}: ${f} incomplete`);
      rmSync(join(c.ferryd.root, f));
    }
  }
  c.rows.push(row);
}

/** Busy time of the whole machine (all CPUs; everything but idle and iowait), in seconds: over a link the
 * kernel's network work (softirq, the qdisc, the origin's side) is charged to whoever happens to run, so a
 * client that sleeps more could look cheaper than it is. This counts it all. */
function machineBusyS(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return (f.reduce((a, b) => a + b, 0) - f[3]! - f[4]!) / 100; // USER_HZ
}

/** The link and a ferryd on its agent side, made on first use; null (and a note) where namespaces cannot be made. */
async function linkSide(c: Ctx, name: string): Promise<{ link: Link; ferryd: Ferryd } | null> {
  if (c.link) return c.link;
  const why = linkUnavailable();
  if (why) {
    c.notes.push(`${name}: skipped, ${why}`);
    return null;
  }
  const link = await startLink(c.work, c.www, 231);
  const ferryd = new Ferryd(join(c.work, 'ferryd-link'), { policy: { uploadCaps: { externalPowerBytes: 4 * 1024 * MiB } } }, undefined, link.agent);
  try {
    await ferryd.start(ferrydArgs);
  } catch (e) {
    link.stop();
    throw e;
  }
  c.link = { link, ferryd };
  // One-time costs (the transfer engine) out of the measured rounds, as for the loopback ferryd.
  await ferryRound(c, 'link warm-up', { url: `${link.base}warm.bin`, path: 'warm.bin' }, ferryd);
  await ferryRound(c, 'link warm-up upload', { url: `${link.base}up/warm.bin`, method: 'PUT', path: 'warm.bin' }, ferryd);
  return c.link;
}

/** Over the shaped link (MTU 1500), ferryd and curl both on its agent side: a download, or a PUT of the same file. */
async function overLink(c: Ctx, name: string, kind: 'get' | 'put', mibps: number, sizeMiB: number): Promise<void> {
  const side = await linkSide(c, name);
  if (!side) return;
  const { link, ferryd } = side;
  link.rate(mibps);
  const file = `d${sizeMiB}.bin`;
  const row: Row = { name, ferry: [], curl: [], minTput: kind === 'get' ? 0.97 : 0.9, maxCpu: 1.5 };
  const agent = link.agent.join(' ');
  const busy = { ferry: [] as number[], curl: [] as number[] };
  const timed = (who: 'ferry' | 'curl', step: () => Promise<unknown>) => async () => {
    const b0 = machineBusyS();
    await step();
    busy[who].push(machineBusyS() - b0);
  };
  if (kind === 'put' && !existsSync(join(ferryd.root, file))) linkSync(join(c.www, file), join(ferryd.root, file));
  for (let i = 0; i < rounds; i++) {
    const out = join(ferryd.root, 'curl.bin');
    const pair =
      kind === 'get'
        ? [
            timed('curl', async () => row.curl.push(await measureShell(`${agent} curl -sS --fail -o ${q(out)} ${q(link.base + file)} && sync ${q(out)}`))),
            timed('ferry', async () => row.ferry.push(await ferryRound(c, `${name}-${i}`, { url: link.base + file, path: 'ferry.bin' }, ferryd))),
          ]
        : [
            timed('curl', async () => row.curl.push(await measureShell(`${agent} curl -sS --fail -o /dev/null -H 'Expect:' -T ${q(join(ferryd.root, file))} ${q(`${link.base}up/curl-${i}.bin`)}`))),
            timed('ferry', async () => row.ferry.push(await ferryRound(c, `${name}-${i}`, { url: `${link.base}up/ferry-${i}.bin`, method: 'PUT', path: file }, ferryd))),
          ];
    for (const step of i % 2 ? pair.reverse() : pair) await step();
    const check = kind === 'get' ? [join(ferryd.root, 'curl.bin'), join(ferryd.root, 'ferry.bin')] : [join(link.upDir, `curl-${i}.bin`), join(link.upDir, `ferry-${i}.bin`)];
    for (const f of check) {
      if (statSync(f).size !== sizeMiB * MiB) throw new Error(`${name}: ${f} incomplete`);
      rmSync(f);
    }
  }
  c.rows.push(row);
  const m = (xs: number[]) => median(xs).toFixed(2);
  c.notes.push(`${name}: whole machine busy (all CPUs, /proc/stat, 10 ms ticks) during ferry's rounds ${m(busy.ferry)} s, curl's ${m(busy.curl)} s (ratio ${(median(busy.ferry) / median(busy.curl)).toFixed(2)})`);
}

async function upload(c: Ctx, name: string, kind: 'put' | 'tus', sizeMiB: number): Promise<void> {
  const src = join(c.ferryd.root, `src-${sizeMiB}.bin`);
  const row: Row = { name, ferry: [], curl: [], minTput: 0.9, maxCpu: 1.5 };
  for (let i = 0; i < rounds; i++) {
    const pair =
      kind === 'put'
        ? [
            async () => row.curl.push(await curlPut(`${c.nginx.base}/up/curl-${i}.bin`, src)),
            async () => row.ferry.push(await ferryRound(c, `${name}-${i}`, { url: `${c.nginx.base}/up/ferry-${i}.bin`, method: 'PUT', path: `src-${sizeMiB}.bin` })),
          ]
        : [
            async () => row.curl.push(await curlTus(c.tus.url, src, sizeMiB * MiB)),
            async () => row.ferry.push(await ferryRound(c, `${name}-${i}`, { url: c.tus.url, method: 'POST', direction: 'upload', protocol: 'tus', path: `src-${sizeMiB}.bin` })),
          ];
    for (const step of i % 2 ? pair.reverse() : pair) {
      // Each client uploads into an empty store: a second 1 GiB file written next to the first one made the
      // origin drain at a quarter of its speed in some rounds, for curl as much as for ferry.
      const store = join(c.bodies, kind === 'put' ? 'up' : 'tus');
      rmSync(store, { recursive: true, force: true });
      mkdirSync(store);
      chmodSync(store, 0o777); // nginx's worker runs unprivileged
      // Writeback left from earlier steps (the origin's files when they are not on tmpfs: it does not fsync) is
      // done before a step, not during it.
      await sh('sync');
      await step();
    }
  }
  c.rows.push(row);
}

/** Bytes the kernel holds on the connections to `port` on loopback (`ss`): what the origin has counted as sent
 * but sits in its own send queue, and what waits in the client's receive queue. A client killed now loses both
 * whatever it does; only the rest of what it re-fetches is its own. */
function queuedAt(port: string, originNs: string[] = [], agentNs: string[] = []): { originSendQ: number; clientRecvQ: number } {
  const rows = (ns: string[], args: string[]) =>
    execFileSync(ns[0] ?? 'ss', [...ns.slice(1), ...(ns.length ? ['ss'] : []), '-Htn', 'state', 'established', ...args], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => l.trim().split(/\s+/).map(Number));
  const sum = (xs: number[][], col: number) => xs.reduce((n, r) => n + (r[col] ?? 0), 0);
  return { originSendQ: sum(rows(originNs, [`( sport = :${port} )`]), 1), clientRecvQ: sum(rows(agentNs, [`( dport = :${port} )`]), 0) };
}

type Queues = ReturnType<typeof queuedAt>;

interface KillRun {
  name: string;
  ferryd: Ferryd;
  sizeMiB: number;
  /** The URL each client fetches (a tag in it lets the origin's log tell them apart). */
  url(who: 'ferry' | 'curl'): string;
  /** Runs curl where ferryd runs (a namespace prefix, or none). */
  curlPrefix: string[];
  /** How often the file's size is looked at, and the most the kill waits after the third (writes complete in
   * batches: a random delay keeps it from always landing right after one). */
  pollMs: number;
  jitterMs: number;
  /** What the kernel holds on the connection now (ss). */
  queued(): Queues;
  /** Starts counting what the origin sends to `who`; the function returned reads the count once it is done. */
  count(who: 'ferry' | 'curl'): () => Promise<number>;
}

/**
 * SIGKILLs ferryd a third of the way through a download and restarts it until the transfer completes; then curl,
 * killed at the same point of its own file and resumed with -C -. What each had re-sent, and what the kernel held a
 * few ms before each kill.
 */
async function killAtThird(c: Ctx, k: KillRun): Promise<{ ferry: number; curl: number; held: Queues; curlHeld: Queues }> {
  const size = k.sizeMiB * MiB;
  const { ferryd } = k;
  const ferrySent = k.count('ferry');
  const id = await ferryd.enqueue({ url: k.url('ferry'), path: 'killed.bin' });
  // The part file's size, not the API's progress (an event a second): at loopback speed a kill timed by the API
  // could land after the last byte was written, and then nothing is re-sent whatever the client holds.
  const part = join(ferryd.root, '.ferry-parts', `${id}.part`);
  const onDisk = (): number => (existsSync(part) ? statSync(part).size : 0);
  while (onDisk() < size / 3) {
    if (!existsSync(part) && existsSync(join(ferryd.root, 'killed.bin'))) throw new Error(`${k.name}: ended before the kill`);
    await sleep(k.pollMs);
  }
  await sleep(Math.random() * k.jitterMs);
  const held = k.queued();
  await ferryd.kill('SIGKILL');
  if (onDisk() >= size) c.notes.push(`${k.name}: the kill landed after the last byte was written; its figure says nothing`);
  await ferryd.start(ferrydArgs);
  const t = await ferryd.done(id);
  if (t.state !== 'completed') throw new Error(`${k.name}: ${t.state}`);
  rmSync(join(ferryd.root, 'killed.bin'));
  const ferry = (await ferrySent()) - size;
  // The peer: curl writes each read at once, so what it loses is what the kernel's socket buffers held.
  const out = join(ferryd.root, 'curl-killed.bin');
  const curlSent = k.count('curl');
  const [cmd, ...args] = [...k.curlPrefix, 'curl', '-sS', '-o', out, k.url('curl')];
  const child = spawn(cmd!, args, { stdio: 'ignore' });
  while (!existsSync(out) || statSync(out).size < size / 3) await sleep(k.pollMs);
  await sleep(Math.random() * k.jitterMs);
  const curlHeld = k.queued();
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  await sh(`${k.curlPrefix.join(' ')} curl -sS --fail -C - -o ${q(out)} ${q(k.url('curl'))}`);
  rmSync(out);
  return { ferry, curl: (await curlSent()) - size, held, curlHeld };
}

const mib = (n: number) => (n / MiB).toFixed(2);

/** The SIGKILL case on loopback: the origin's access log counts what it sent twice. */
async function killResend(c: Ctx, name: string, rate: 'fast' | number, sizeMiB: number): Promise<void> {
  const tag = (who: string) => `k=${who === 'ferry' ? '' : 'curl-'}${name.replace(/\W+/g, '-')}`;
  const port = new URL(c.nginx.base).port;
  const fast = rate === 'fast';
  const r = await killAtThird(c, {
    name,
    ferryd: c.ferryd,
    sizeMiB,
    url: (who) => `${c.nginx.base}${c.nginx.prefix(rate)}d${sizeMiB}.bin?${tag(who)}`,
    curlPrefix: [],
    pollMs: fast ? 1 : 50,
    jitterMs: fast ? 20 : 400,
    queued: () => queuedAt(port),
    count: (who) => async () => {
      await sleep(300); // nginx logs a request when its connection closes
      return c.nginx.bytesSent(tag(who));
    },
  });
  c.notes.push(
    `bytes re-sent after SIGKILL at a third, ${name}: ferry ${mib(r.ferry)} MiB (target <= 1 MiB: ${r.ferry <= MiB ? 'ok' : 'MISS'}); ` +
      `curl -o then -C - ${mib(r.curl)} MiB. In the kernel a few ms before the kill (ss; at loopback speed the queues move meanwhile): the origin's send queue ` +
      `${mib(r.held.originSendQ)} / ${mib(r.curlHeld.originSendQ)} MiB, the client's receive queue ${mib(r.held.clientRecvQ)} / ` +
      `${mib(r.curlHeld.clientRecvQ)} MiB (ferry / curl); re-sent less the origin's queue: ferry ${mib(r.ferry - r.held.originSendQ)}, curl ${mib(r.curl - r.curlHeld.originSendQ)} MiB`,
  );
}

/**
 * The SIGKILL case over the link (MTU 1500; tbf at `mibps`, or unshaped): what crossed the wire twice, counted at
 * the origin's veth (what a data plan pays), beside what the origin's socket held unsent at the kill (nginx counts
 * that as sent, but it never leaves the origin).
 */
async function killOverLink(c: Ctx, name: string, mibps: number | null, sizeMiB: number): Promise<void> {
  const side = await linkSide(c, name);
  if (!side) return;
  const { link, ferryd } = side;
  link.rate(mibps);
  const url = `${link.base}d${sizeMiB}.bin`;
  const port = new URL(link.base).port;
  const counted = (): (() => Promise<number>) => {
    const t0 = link.originPayloadBytes();
    return async () => link.originPayloadBytes() - t0;
  };
  // The count's own error: an uninterrupted download counted the same way.
  const calibrated = counted();
  const r0 = link.originRetransSegs();
  await sh(`${link.agent.join(' ')} curl -sS --fail -o /dev/null ${q(url)}`);
  const calibration = (await calibrated()) - sizeMiB * MiB;
  const calRetrans = link.originRetransSegs() - r0;
  const r1 = link.originRetransSegs();
  const pollMs = mibps === null ? 1 : 50;
  const r = await killAtThird(c, {
    name,
    ferryd,
    sizeMiB,
    url: () => url,
    curlPrefix: link.agent,
    pollMs,
    jitterMs: 20 * pollMs,
    queued: () => queuedAt(port, link.origin, link.agent),
    count: counted,
  });
  c.notes.push(
    `bytes re-sent after SIGKILL at a third, ${name} (MTU 1500${mibps === null ? ', unshaped' : ''}), counted on the wire at the origin's veth: ferry ${mib(r.ferry)} MiB ` +
      `(target <= 1 MiB: ${r.ferry <= MiB ? 'ok' : 'MISS'}), curl -o then -C - ${mib(r.curl)} MiB (the count's error on an uninterrupted download: ` +
      `${(calibration / 1024).toFixed(0)} KiB, ${calRetrans} segments retransmitted; over the two kills ${link.originRetransSegs() - r1}). Held a few ms before the kill (ss): the origin's send queue ${mib(r.held.originSendQ)} / ${mib(r.curlHeld.originSendQ)} MiB, ` +
      `the client's receive queue ${mib(r.held.clientRecvQ)} / ${mib(r.curlHeld.clientRecvQ)} MiB (ferry / curl)`,
  );
}

/** RSS of a ferryd holding 500 queued transfers that cannot run (no network in its static conditions). */
async function queuedRss(c: Ctx): Promise<void> {
  const d = new Ferryd(mkdtempSync(join(c.work, 'q-')), {
    transfers: { perClientLimit: 500, totalLimit: 500 },
    conditions: { static: { network: { kind: 'none' } } },
  });
  await d.start(ferrydArgs);
  try {
    for (let i = 0; i < 500; i++) await d.enqueue({ url: `http://127.0.0.1:9/f-${i}.bin`, path: `q/f-${i}.bin` });
    await sleep(3000);
    const v = rssMiB(d.pid);
    c.notes.push(`ferryd RSS with 500 queued: ${v.toFixed(1)} MiB (target <= 70: ${v <= 70 ? 'ok' : 'MISS'})`);
  } finally {
    await d.kill('SIGTERM');
  }
}

const f2 = (x: number) => x.toFixed(2);

/** One table row, printed as soon as its case is done (a long run that dies still leaves its rows). */
function row(r: Row): string {
  const tputs = r.ferry.map((f, i) => r.curl[i]!.wallS / f.wallS);
  const cpus = r.ferry.map((f, i) => f.cpuS / Math.max(r.curl[i]!.cpuS, 0.01));
  const tput = median(r.curl.map((m) => m.wallS)) / median(r.ferry.map((m) => m.wallS));
  const cpu = median(r.ferry.map((m) => m.cpuS)) / Math.max(median(r.curl.map((m) => m.cpuS)), 0.01);
  const range = (xs: number[]) => (xs.length > 1 ? ` (${f2(Math.min(...xs))}–${f2(Math.max(...xs))})` : '');
  return (
    `| ${r.name} | ${f2(median(r.ferry.map((m) => m.wallS)))} | ${f2(median(r.curl.map((m) => m.wallS)))} | ` +
    `**${f2(tput)}**${range(tputs)} ≥ ${r.minTput} ${tput >= r.minTput ? 'ok' : 'MISS'} | ${f2(median(r.ferry.map((m) => m.cpuS)))} | ` +
    `${f2(median(r.curl.map((m) => m.cpuS)))} | **${f2(cpu)}**${range(cpus)} ≤ ${r.maxCpu} ${cpu <= r.maxCpu ? 'ok' : 'MISS'} |`
  );
}

async function main(): Promise<void> {
  // A real disk, not tmpfs: the fsyncs ferry does are part of what a user pays for.
  const work = mkdtempSync('/var/tmp/ferry-daemon-bench-');
  const www = join(work, 'www');
  const cleanups: Array<() => void | Promise<void>> = [() => (flag('keep') ? console.log(`kept ${work}`) : rmSync(work, { recursive: true, force: true }))];
  try {
    mkdirSync(www);
    for (const s of new Set(Object.values(SIZES))) makeFile(join(www, `d${s}.bin`), s * MiB);
    // Upload bodies land on tmpfs when it has room for two: on the bench's disk, the origin's own writes (a second
    // 1 GiB file, writeback) made some rounds 4-6x slower for either client.
    const shm = '/dev/shm';
    const bodies = existsSync(shm) && statfsSync(shm).bavail * statfsSync(shm).bsize > 3 * SIZES.fast * MiB ? mkdtempSync(join(shm, 'ferry-bench-bodies-')) : work;
    if (bodies !== work) cleanups.push(() => rmSync(bodies, { recursive: true, force: true }));
    const nginx = await startNginx(work, www, [12, 6, 2], bodies);
    cleanups.unshift(() => nginx.stop());
    mkdirSync(join(bodies, 'tus'), { mode: 0o777 });
    const tus = await startTus(join(bodies, 'tus'));
    cleanups.unshift(() => tus.stop());
    // Default config but for the upload cap (100 MB by default): the bench uploads 1 GiB.
    const ferryd = new Ferryd(join(work, 'ferryd'), { policy: { uploadCaps: { externalPowerBytes: 4 * 1024 * MiB } } });
    await ferryd.start(ferrydArgs);
    cleanups.unshift(() => ferryd.kill('SIGTERM'));
    linkSync(join(www, `d${SIZES.fast}.bin`), join(ferryd.root, `src-${SIZES.fast}.bin`));
    const c: Ctx = { work, bodies, www, nginx, tus, ferryd, rows: [], notes: [] };
    cleanups.unshift(async () => {
      if (!c.link) return;
      await c.link.ferryd.kill('SIGTERM');
      c.link.link.stop();
    });
    console.log(`work dir ${work}; ferryd pid ${ferryd.pid}; load average at start ${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    const startCpu = cpuMeter(ferryd.pid);
    await sleep(8000);
    c.notes.push(`ferryd CPU in the 8 s after it first answers on its socket: ${(startCpu.seconds() * 1000).toFixed(0)} ms`);
    c.notes.push(`ferryd RSS idle (8 s after start): ${rssMiB(ferryd.pid).toFixed(1)} MiB (target <= 55: ${rssMiB(ferryd.pid) <= 55 ? 'ok' : 'MISS'})`);
    // V8's memory reducer shrinks the young generation grown during start-up some seconds after the last GC.
    await sleep(2000);
    const idleCpu = cpuMeter(ferryd.pid);
    await sleep(12000);
    c.notes.push(`ferryd CPU while idle (10-22 s after start, one event stream open): ${((idleCpu.seconds() / 12) * 1000).toFixed(2)} ms per s`);
    c.notes.push(`ferryd RSS idle (22 s after start, after V8's memory reducer): ${rssMiB(ferryd.pid).toFixed(1)} MiB (target <= 55: ${rssMiB(ferryd.pid) <= 55 ? 'ok' : 'MISS'})`);
    // The first transfer loads the transfer engine: a one-time cost, measured apart (the first upload too).
    makeFile(join(www, 'warm.bin'), MiB);
    const warm = await ferryRound(c, 'warm-up', { url: `${nginx.base}/fast/warm.bin`, path: 'warm.bin' });
    c.notes.push(`first transfer (1 MiB download, loads the transfer engine): ${warm.wallS.toFixed(2)} s, ${warm.cpuS.toFixed(2)} CPU-s; RSS after it ${rssMiB(ferryd.pid).toFixed(1)} MiB`);
    const warmUp = await ferryRound(c, 'warm-up upload', { url: `${nginx.base}/up/warm.bin`, method: 'PUT', path: 'warm.bin' });
    c.notes.push(`first upload (1 MiB PUT): ${warmUp.wallS.toFixed(2)} s, ${warmUp.cpuS.toFixed(2)} CPU-s; RSS after it ${rssMiB(ferryd.pid).toFixed(1)} MiB`);
    const cases: Array<[string, () => Promise<void>]> = [
      [`download ${SIZES.fast} MiB loopback`, () => download(c, `download ${SIZES.fast} MiB loopback`, 'fast', SIZES.fast, 0.9)],
      [`download ${SIZES.r12} MiB 12 MiB/s`, () => download(c, `download ${SIZES.r12} MiB 12 MiB/s`, 12, SIZES.r12, 0.97)],
      [`download ${SIZES.r2} MiB 2 MiB/s`, () => download(c, `download ${SIZES.r2} MiB 2 MiB/s`, 2, SIZES.r2, 0.97)],
      [`download ${SIZES.r12} MiB 12 MiB/s link`, () => overLink(c, `download ${SIZES.r12} MiB 12 MiB/s link`, 'get', 12, SIZES.r12)],
      [`download ${SIZES.r2} MiB 2 MiB/s link`, () => overLink(c, `download ${SIZES.r2} MiB 2 MiB/s link`, 'get', 2, SIZES.r2)],
      [`upload PUT ${SIZES.r2} MiB 2 MiB/s link`, () => overLink(c, `upload PUT ${SIZES.r2} MiB 2 MiB/s link`, 'put', 2, SIZES.r2)],
      [`upload PUT ${SIZES.fast} MiB loopback`, () => upload(c, `upload PUT ${SIZES.fast} MiB loopback`, 'put', SIZES.fast)],
      [`upload tus ${SIZES.fast} MiB loopback`, () => upload(c, `upload tus ${SIZES.fast} MiB loopback`, 'tus', SIZES.fast)],
      ['kill 6 MiB/s', () => killResend(c, '6 MiB/s', 6, SIZES.kill6)],
      ['kill loopback', () => killResend(c, 'loopback', 'fast', SIZES.fast)],
      ['kill 12 MiB/s link', () => killOverLink(c, '12 MiB/s over the link', 12, SIZES.r12)],
      ['kill full speed link', () => killOverLink(c, 'full speed over the link', null, SIZES.fast)],
      ['500 queued', () => queuedRss(c)],
    ];
    console.log(`\n## ferryd vs curl (${rounds} round(s) each, alternating; medians; ratio range over rounds)\n`);
    console.log('| case | ferry wall s | curl wall s | throughput ferry/curl | ferry CPU s | curl CPU s | CPU ferry/curl |');
    console.log('|---|---|---|---|---|---|---|');
    for (const [name, run] of cases) {
      if (only && !only.split(',').some((o) => name.includes(o))) continue;
      const t0 = performance.now();
      const before = c.rows.length;
      await run();
      for (const r of c.rows.slice(before)) console.log(row(r));
      console.error(`${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    console.log('');
    for (const n of c.notes) console.log(`- ${n}`);
    console.log(`- load average at the end ${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  } finally {
    for (const f of cleanups) await f();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
