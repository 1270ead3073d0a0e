// The guest side of the power-cut suite (hw-tests/rig/vm/powercut.mjs cuts the VM; parameters on the
// kernel command line, see powercut-data.mjs). Prints one `RIG-PC: <what> <json>` line per fact to the
// serial console, which the host reads; nothing here survives a cut, so nothing is kept in the guest.
//   watch OUT SIM   every boot: puts the device's file into the UDP SMP device's folder SIM, reports
//                   how ferry came up (unit, API, database), starts the device (powercut-udp-device.mjs),
//                   reports what the earlier cuts left at the target paths, then progress every 0.5 s; `setup` queues
//                   the two transfers, `final` waits for both to finish and leaves powercut-final.json in OUT
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, closeSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { bytesAt, parsePowercutArg } from './powercut-data.mjs';

const SOCKET = '/run/ferry/ferry.sock';
const ROOT = '/var/lib/ferry/transfers';
const STATE = '/var/lib/ferry/state';
const ORIGIN = 'http://127.0.0.1:8091';
const DEVICE_ID = 'rig-udp';
const REMOTE = '/lfs/rig-data.bin';
// Target paths (relative to the transfers root): the download's, and the pull's (ferry.powercut.json's device).
const DL_PATH = 'pc/download.bin';
const PULL_PATH = `devices/${DEVICE_ID}/rig-data.bin`;

// RIG_PC_CMDLINE stands in for the kernel command line when trying it out on a host.
const p = parsePowercutArg(process.env.RIG_PC_CMDLINE ?? readFileSync('/proc/cmdline', 'utf8'));
const uptime = () => Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
const say = (what, o) => console.log(`RIG-PC: ${what} ${JSON.stringify({ t: uptime(), ...o })}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function http(method, path, body, { socket = SOCKET, base = 'http://ferry' } = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const url = new URL(path, base);
    const req = request(
      // agent: false: a fresh connection per request (a reused keep-alive socket the server just closed resets).
      { ...(socket ? { socketPath: socket } : { host: url.hostname, port: url.port }), agent: false, path: url.pathname + url.search, method, timeout: 10_000, headers: data ? { 'content-type': 'application/json', 'content-length': data.length } : {} },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          try {
            resolve({ status: res.statusCode, body: JSON.parse(text) });
          } catch {
            resolve({ status: res.statusCode, body: text });
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer`)));
    req.on('error', reject);
    req.end(data);
  });
}

async function fileSha256(file) {
  const h = createHash('sha256');
  for await (const c of createReadStream(file)) h.update(c);
  return h.digest('hex');
}

/** ferry's unit as systemd saw it this boot (times in s since boot). */
function unitFacts() {
  const out = execFileSync('systemctl', ['show', 'ferry.service', '-p', 'ActiveState', '-p', 'ExecMainStartTimestampMonotonic', '-p', 'ActiveEnterTimestampMonotonic', '-p', 'NRestarts'], { encoding: 'utf8' });
  const f = Object.fromEntries(out.trim().split('\n').map((l) => l.split('=')));
  return { active: f.ActiveState, startedAt: Number(f.ExecMainStartTimestampMonotonic) / 1e6, readyAt: Number(f.ActiveEnterTimestampMonotonic) / 1e6, restarts: Number(f.NRestarts) };
}

/** The database as ferry left it: WAL (header bytes 18/19 = 2), nothing moved aside, this boot's "queue loaded". */
function dbFacts() {
  const head = Buffer.alloc(20);
  const fd = openSync(join(STATE, 'ferry.db'), 'r');
  try {
    readSync(fd, head, 0, 20, 0);
  } finally {
    closeSync(fd);
  }
  const movedAside = readdirSync(STATE).filter((n) => /\.(corrupt|newer)-/.test(n));
  const journal = execFileSync('journalctl', ['-b', '-u', 'ferry.service', '-o', 'cat', '--no-pager'], { encoding: 'utf8' }).split('\n');
  const parsed = (needle) => journal.filter((l) => l.includes(needle)).map((l) => { try { return JSON.parse(l); } catch { return { line: l }; } });
  const loaded = parsed('queue loaded')[0] ?? null;
  const recovered = parsed('recovered interrupted transfers')[0] ?? null;
  return {
    wal: head.toString('latin1', 0, 15) === 'SQLite format 3' && head[18] === 2 && head[19] === 2,
    movedAside,
    queueLoaded: loaded ? { transfers: loaded.transfers, states: loaded.states } : null,
    recovered: recovered?.count ?? 0,
    errorLines: journal.filter((l) => /"level":(50|60)|"level":"(error|fatal)"/.test(l)).length,
  };
}

/** The explicit check: a file at a target path is only ever whole (the host compares the hashes). */
async function targetFacts() {
  const one = async (rel) => (existsSync(join(ROOT, rel)) ? { sha256: await fileSha256(join(ROOT, rel)) } : null);
  const partsDir = join(ROOT, '.ferry-parts');
  return { dl: await one(DL_PATH), pull: await one(PULL_PATH), parts: existsSync(partsDir) ? readdirSync(partsDir).length : 0 };
}

async function waitHealthy() {
  for (;;) {
    try {
      const r = await http('GET', '/v1/health');
      if (r.status === 200) return;
    } catch {
      // not up yet
    }
    await sleep(250);
  }
}

async function transfers() {
  const r = await http('GET', '/v1/transfers');
  const list = r.body?.transfers ?? r.body ?? [];
  return { dl: list.find((t) => t.path === DL_PATH) ?? null, pull: list.find((t) => t.path === PULL_PATH) ?? null };
}

async function setup() {
  const { dl, pull } = await transfers();
  if (!dl) {
    const r = await http('POST', '/v1/transfers', { url: `${ORIGIN}/download.bin`, path: DL_PATH, retry: { initialDelayS: 1, maxDelayS: 5 }, tag: 'powercut' });
    if (r.status !== 201) throw new Error(`POST /v1/transfers answered ${r.status}: ${JSON.stringify(r.body)}`);
  }
  if (!pull) {
    const r = await http('POST', `/v1/devices/${DEVICE_ID}/sync`, {});
    if (r.status !== 202) throw new Error(`POST /v1/devices/${DEVICE_ID}/sync answered ${r.status}: ${JSON.stringify(r.body)}`);
  }
  say('queued', {});
}

/** Where the origin and the device were asked to resume this boot, and how far they got. */
async function sources(simDir) {
  let origin = null;
  try {
    const s = (await http('GET', '/status', undefined, { socket: null, base: ORIGIN })).body;
    const first = s.requests[0];
    const last = s.requests[s.requests.length - 1];
    origin = first ? { first: first.start, at: last.at, n: s.requests.length } : { n: 0 };
  } catch {
    origin = { down: true };
  }
  let reads = [];
  try {
    reads = readFileSync(join(simDir, 'requests.log'), 'utf8').split('\n').filter((l) => l.startsWith(`fs-read ${REMOTE} `)).map((l) => Number(l.split(' ')[2]));
  } catch {
    // no read yet
  }
  return { origin, device: reads.length ? { first: reads[0], last: reads[reads.length - 1], n: reads.length } : { n: 0 } };
}

const brief = (t) => (t ? [t.state, t.bytesTransferred, t.totalBytes, t.error?.code ?? t.lastError?.code ?? null, t.reasons.map((r) => r.code).join(',')] : null);

async function watch(out, sim) {
  device(sim);
  say('boot', { phase: p.phase });
  await waitHealthy();
  say('ferry', { healthyAt: uptime(), unit: unitFacts(), db: dbFacts() });
  // The device comes up now, not before: the download resumed at once, the pull then starts about as soon.
  const script = new URL('./powercut-udp-device.mjs', import.meta.url).pathname;
  execFileSync('systemd-run', ['--unit=rig-pc-udp-smp', '--quiet', '/usr/bin/node', script, '1337', sim]);
  say('targets', await targetFacts());
  if (p.phase === 'setup') await setup();
  const finished = (t) => t && ['completed', 'failed', 'cancelled'].includes(t.state);
  for (;;) {
    try {
      const { dl, pull } = await transfers();
      say('progress', { dl: brief(dl), pull: brief(pull), ...(await sources(sim)) });
      if (p.phase === 'final' && finished(dl) && finished(pull)) return await final(out, dl, pull);
    } catch (e) {
      // ferry restarting (its watchdog) is reported by the next boot's unit facts; keep watching.
      say('note', { text: `watch: ${e.message}` });
    }
    await sleep(500);
  }
}

async function final(out, dl, pull) {
  const facts = { dl: brief(dl), pull: brief(pull), pullResult: pull.device?.result ?? null, targets: await targetFacts(), unit: unitFacts(), db: dbFacts() };
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'powercut-final.json'), JSON.stringify(facts, null, 1));
  say('final', facts);
}

function device(stateDir) {
  mkdirSync(join(stateDir, 'fs/lfs'), { recursive: true });
  writeFileSync(join(stateDir, 'fs', REMOTE), bytesAt(p.seed, 'device', 0, p.devSize));
  writeFileSync(join(stateDir, 'delay-ms'), `${p.delayMs}\n`);
}

const [cmd, out, sim] = process.argv.slice(2);
if (!p) throw new Error('no rig.pc= on the kernel command line');
if (cmd === 'watch' && out && sim) await watch(out, sim);
else throw new Error('usage: powercut-guest.mjs watch OUT SIM_STATE_DIR');
