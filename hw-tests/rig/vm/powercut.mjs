// The power-cut suite's host side: boots the rig VM on one persistent root (a qcow2 overlay of the
// base image), lets ferry (under systemd) run a throttled download from the guest's origin and a pull
// from the guest's UDP SMP device, and SIGKILLs QEMU (no shutdown: the guest's page cache and QEMU's
// unflushed qcow2 metadata are lost, like a power cut) at a seeded random moment after both moved in
// that boot. After each boot it checks from the guest's console lines (guest/powercut-guest.mjs):
// ferry active, its database opened (WAL, nothing moved aside, the queue loaded), no file at a target
// path with content other than the expected; the last boot lets both finish and checks their sha256
// against what the host computes from the seed. Prints one line per cut and writes
// OUT/powercut-report.json (checks counted by summarise.mjs).
// Usage: powercut.mjs RUN_DIR   (env: RIG_PC_CUTS, RIG_PC_SEED, RIG_PC_MAX_DELAY_S; see README)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, openSync, readSync, closeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { powercutArg, sha256Of } from '../guest/powercut-data.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const run = process.argv[2];
const work = process.env.RIG_WORK ?? join(here, '../work');
const env = (k, d) => (process.env[k] ? Number(process.env[k]) : d);
const cuts = env('RIG_PC_CUTS', 10);
const seed = process.env.RIG_PC_SEED || String(Math.floor(Math.random() * 2 ** 31));
const maxDelayS = env('RIG_PC_MAX_DELAY_S', 4);
// Sizes and speeds: both transfers must outlast every cut boot; the last boot lifts both limits.
const params = { seed, dlSize: env('RIG_PC_DL_BYTES', 64 * 1024 * 1024), devSize: env('RIG_PC_DEV_BYTES', 192 * 1024), rate: env('RIG_PC_RATE', 32 * 1024), delayMs: env('RIG_PC_DELAY_MS', 10) };
const bootTimeoutS = env('RIG_PC_BOOT_TIMEOUT_S', 900);

const out = join(run, 'out');
const dir = join(run, 'powercut');
mkdirSync(out, { recursive: true });
mkdirSync(dir, { recursive: true });
const mib = (b) => (b === null || b === undefined ? '?' : (b / 1048576).toFixed(2));
const kib = (b) => (b === null || b === undefined ? '?' : (b / 1024).toFixed(1));
const secs = (ms) => (ms / 1000).toFixed(1);
const log = (s) => console.log(`rig: power cut: ${s}`);

// mulberry32: small, seeded, enough to place cuts reproducibly.
let rs = Number(seed) >>> 0;
const rand = () => {
  rs = (rs + 0x6d2b79f5) >>> 0;
  let t = rs;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const checks = [];
const check = (name, ok, detail = '') => {
  checks.push({ name, ok: !!ok, detail });
  if (!ok) console.log(`FAIL power cut > ${name}${detail ? `: ${detail}` : ''}`);
};

/** One boot: spawns boot.sh, follows the console, calls `onLine(what, obj, ms)`; resolves on exit. */
function boot(n, phase, onLine) {
  const consoleLog = join(dir, `console-${String(n).padStart(2, '0')}-${phase}.log`);
  rmSync(`${consoleLog}.pid`, { force: true });
  const p = { ...params, phase, ...(phase === 'final' ? { rate: 0, delayMs: 0 } : {}) };
  const started = Date.now();
  const child = spawn('bash', [join(here, 'boot.sh'), consoleLog], {
    stdio: 'inherit',
    env: { ...process.env, RIG_ROOT_QCOW2: join(dir, 'root.qcow2'), RIG_APPEND: powercutArg(p), RIG_TIMEOUT_S: String(phase === 'final' ? 2 * bootTimeoutS : bootTimeoutS) },
  });
  let pos = 0;
  let rest = '';
  const poll = () => {
    if (!existsSync(consoleLog)) return;
    const fd = openSync(consoleLog, 'r');
    const buf = Buffer.alloc(256 * 1024);
    try {
      for (let got; (got = readSync(fd, buf, 0, buf.length, pos)) > 0; pos += got) rest += buf.toString('latin1', 0, got);
    } finally {
      closeSync(fd);
    }
    const lines = rest.split('\n');
    rest = lines.pop();
    for (const l of lines) {
      const m = /^RIG-PC: (\S+) (\{.*\})\s*$/.exec(l);
      if (!m) continue;
      try {
        onLine(m[1], JSON.parse(m[2]), Date.now() - started);
      } catch (e) {
        console.log(`rig: power cut: unreadable line ${l}: ${e.message}`);
      }
    }
  };
  const timer = setInterval(poll, 200);
  const cut = () => {
    const pid = Number(readFileSync(`${consoleLog}.pid`, 'utf8').trim());
    process.kill(pid, 'SIGKILL');
  };
  const done = new Promise((resolve) => child.on('exit', (code) => {
    clearInterval(timer);
    poll();
    resolve({ code, ms: Date.now() - started });
  }));
  return { cut, done, started };
}

const expected = { dl: sha256Of(seed, 'download', params.dlSize), pull: sha256Of(seed, 'device', params.devSize) };
log(`seed ${seed} (RIG_PC_SEED=${seed} replays the cut points), ${cuts} cuts; download ${mib(params.dlSize)} MiB at ${kib(params.rate)} KiB/s, device pull ${kib(params.devSize)} KiB at ${params.delayMs} ms per 256 B answer; a cut falls 0–${maxDelayS} s after both moved`);
const qc = spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', join(work, 'base.img'), join(dir, 'root.qcow2')], { encoding: 'utf8' });
if (qc.status !== 0) throw new Error(`qemu-img create: ${qc.stderr}`);

/** Facts every boot reports the same way: ferry up, the database, the target files. */
function commonFacts(b, what, o, ms, phase) {
  if (what === 'ferry') {
    b.ferryMs = ms;
    b.unit = o.unit;
    b.db = o.db;
    const q = o.db.queueLoaded;
    const dbOk = o.unit.active === 'active' && o.db.wal && o.db.movedAside.length === 0 && q !== null && (phase === 'setup' || q.transfers >= 2);
    check(`boot ${b.n}: ferry active under systemd, database opened (WAL, nothing moved aside, queue loaded)`, dbOk, JSON.stringify({ unit: o.unit, db: o.db }));
  } else if (what === 'targets') {
    b.targets = o;
    for (const k of ['dl', 'pull']) {
      if (o[k]) check(`boot ${b.n}: the ${k === 'dl' ? 'download' : 'pull'}'s target holds only the whole file`, o[k].sha256 === expected[k], `sha256 ${o[k].sha256}, expected ${expected[k]}`);
    }
  }
}

// Per cut: what the transfers had (ferry's API, last look before the kill), what the next boot
// resumed from; printed as soon as the next boot is over.
const rows = [];
let midDl = 0;
let midPull = 0;
function cutRow(b, next) {
  const last = b.last ?? {};
  const isMid = (t) => t && t[0] === 'running' && (t[2] === null || t[1] < t[2]);
  if (isMid(last.dl)) midDl++;
  if (isMid(last.pull)) midPull++;
  const row = {
    cut: b.n,
    cutAtS: b.cutAtMs === null ? null : Number(secs(b.cutAtMs)),
    delayS: b.delayS === null ? null : Number(b.delayS.toFixed(2)),
    dlBefore: last.dl?.[1] ?? null,
    dlOriginSent: last.origin?.at ?? null,
    dlResumedFrom: next.resumed.dl ?? null,
    pullBefore: last.pull?.[1] ?? null,
    pullResumedFrom: next.resumed.pull ?? null,
    nextFerryReadyS: next.unit ? Number(next.unit.readyAt.toFixed(1)) : null,
    nextDbOpened: !!(next.db && next.db.wal && next.db.movedAside.length === 0 && next.db.queueLoaded),
    nextRecovered: next.db?.recovered ?? null,
    nextDlMovingS: next.moving.dl === undefined ? null : Number(secs(next.moving.dl)),
    nextPullMovingS: next.moving.pull === undefined ? null : Number(secs(next.moving.pull)),
    qcow2: b.qcow2,
  };
  rows.push(row);
  log(
    `cut ${row.cut}/${cuts} at ${row.cutAtS} s (${row.delayS} s after both moved): download ${mib(row.dlBefore)} MiB done (resumed from ${mib(row.dlResumedFrom)} MiB), ` +
      `pull ${kib(row.pullBefore)} KiB done (resumed from ${kib(row.pullResumedFrom)} KiB); next boot: DB ${row.nextDbOpened ? 'opened (WAL)' : 'NOT opened'}, ` +
      `ferry ready ${row.nextFerryReadyS} s after boot, moving again ${row.nextDlMovingS} s (download) / ${row.nextPullMovingS} s (pull) after QEMU start; qcow2 ${row.qcow2}`,
  );
}

const boots = [];
for (let n = 1; n <= cuts; n++) {
  const phase = n === 1 ? 'setup' : 'cut';
  const b = { n, phase, delayS: null, cutAtMs: null, last: null, resumed: {}, moving: {} };
  boots.push(b);
  let armed = null;
  const vm = boot(n, phase, (what, o, ms) => {
    commonFacts(b, what, o, ms, phase);
    if (what !== 'progress') return;
    b.last = o;
    // Where this boot resumed from: the origin's first Range start, the device's first read offset.
    if (o.origin?.n > 0) b.resumed.dl ??= o.origin.first;
    if (o.device?.n > 0) b.resumed.pull ??= o.device.first;
    const running = (t) => t && t[0] === 'running';
    const done = (t) => t && t[0] === 'completed';
    if (running(o.dl) && o.origin?.n > 0 && o.origin.at - o.origin.first >= 64 * 1024) b.moving.dl ??= ms;
    if (running(o.pull) && o.device?.n >= 2 && o.device.last > o.device.first) b.moving.pull ??= ms;
    const dlReady = b.moving.dl !== undefined || done(o.dl);
    const pullReady = b.moving.pull !== undefined || done(o.pull);
    if (armed === null && dlReady && pullReady) {
      b.delayS = rand() * maxDelayS;
      armed = setTimeout(() => {
        b.cutAtMs = Date.now() - vm.started;
        vm.cut();
      }, b.delayS * 1000);
    }
  });
  const deadline = setTimeout(() => {
    b.timedOut = true;
    vm.cut();
  }, bootTimeoutS * 1000);
  const r = await vm.done;
  clearTimeout(deadline);
  clearTimeout(armed);
  b.exit = r.code;
  check(`boot ${n}: both transfers moved, then QEMU was killed`, b.cutAtMs !== null && !b.timedOut, b.timedOut ? `no progress within ${bootTimeoutS} s (see ${dir})` : `QEMU exit ${r.code}`);
  const img = spawnSync('qemu-img', ['check', '-f', 'qcow2', join(dir, 'root.qcow2')], { encoding: 'utf8' });
  // 0 clean, 3 leaked clusters only (harmless: space QEMU had allocated when it was killed), 2 corrupt.
  b.qcow2 = img.status === 0 ? 'clean' : img.status === 3 ? 'leaked clusters only' : `exit ${img.status}: ${img.stdout.trim().split('\n').pop()}`;
  check(`cut ${n}: the qcow2 root image is consistent`, img.status === 0 || img.status === 3, b.qcow2);
  if (n > 1) cutRow(boots[n - 2], b);
}

const fin = { n: cuts + 1, phase: 'final', resumed: {}, moving: {} };
boots.push(fin);
const vm = boot(cuts + 1, 'final', (what, o, ms) => {
  commonFacts(fin, what, o, ms, 'final');
  if (what === 'progress') {
    if (o.origin?.n > 0) fin.resumed.dl ??= o.origin.first;
    if (o.device?.n > 0) fin.resumed.pull ??= o.device.first;
    if (o.origin?.n > 0 && o.origin.at > o.origin.first) fin.moving.dl ??= ms;
    if (o.device?.n >= 2) fin.moving.pull ??= ms;
  }
  if (what === 'final') {
    fin.result = o;
    fin.finalMs = ms;
  }
});
const fr = await vm.done;
fin.exit = fr.code;
cutRow(boots[cuts - 1], fin);
const res = fin.result;
check('final boot: the guest reported the end state and powered off', res && fr.code === 0, `QEMU exit ${fr.code}`);
if (res) {
  check('the download completed with the right sha256', res.dl?.[0] === 'completed' && res.targets.dl?.sha256 === expected.dl, `${JSON.stringify(res.dl)}, sha256 ${res.targets.dl?.sha256}, expected ${expected.dl}`);
  check('the device pull completed with the right sha256', res.pull?.[0] === 'completed' && res.targets.pull?.sha256 === expected.pull, `${JSON.stringify(res.pull)}, sha256 ${res.targets.pull?.sha256}, expected ${expected.pull}`);
  check('no part file left behind', res.targets.parts === 0, `${res.targets.parts} in .ferry-parts`);
}

check(`at least ${cuts} cuts landed mid-download or mid-pull`, midDl + midPull >= cuts, `${midDl} mid-download, ${midPull} mid-pull`);
const okCount = checks.filter((c) => c.ok).length;
const summary = {
  seed,
  params,
  expected,
  cuts: rows,
  midDownload: midDl,
  midPull,
  final: res ?? null,
  finalBootS: Number(secs(fr.ms)),
  checks,
};
writeFileSync(join(out, 'powercut-report.json'), JSON.stringify(summary, null, 1));
const lost = rows.filter((r) => r.dlResumedFrom !== null && r.dlBefore !== null).map((r) => r.dlBefore - r.dlResumedFrom);
log(`${midDl} cuts mid-download, ${midPull} mid-pull; download bytes behind ferry's last report at each resume: max ${mib(Math.max(0, ...lost))} MiB; final boot ${secs(fr.ms)} s; sha256 ${res?.targets?.dl?.sha256 === expected.dl ? 'match' : 'MISMATCH'} (download), ${res?.targets?.pull?.sha256 === expected.pull ? 'match' : 'MISMATCH'} (pull)`);
log(`${okCount} checks passed, ${checks.length - okCount} failed (report: ${join(out, 'powercut-report.json')})`);
process.exit(okCount === checks.length ? 0 : 1);
