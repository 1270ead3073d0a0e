// Bytes an idle gateway's fleet bridge costs: one ferryd (static conditions, no jobs) connected to a local
// Mosquitto, measured over a window after the connect settles. Application bytes come from the agent's own
// counter (GET /v1/fleet `bytes`); TCP segments from `ss -ti` on the broker side, to add IP/TCP headers
// (52 bytes a segment: IPv4 20 + TCP 20 + timestamps 12). A short keepalive makes the window meaningful;
// the day figure is extrapolated per keepalive interval.
// Run: npm run build && npx tsx bench/fleet-idle-bytes.ts [--minutes 10] [--keepalive 10] [--tls]
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { AgentProcess } from '../test/support/agent.js';
import { parseArgs } from 'node:util';
import { fleetAgent } from '../test/support/fleet-agent.js';
import { fleetAcl, Mosquitto } from '../test/support/mosquitto.js';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '10' }, keepalive: { type: 'string', default: '10' }, tls: { type: 'boolean', default: false } } });
const minutes = Number(values.minutes);
const keepalive = Number(values.keepalive);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function segments(port: number): { segsIn: number; segsOut: number } {
  // Broker side of the one connection: segs_in/segs_out are exact segment counts, ACKs included.
  const out = execFileSync('ss', ['-tinH', 'state', 'established', `( sport = :${port} )`], { encoding: 'utf8' });
  const num = (k: string) => Number(new RegExp(`${k}:(\\d+)`).exec(out)?.[1] ?? NaN);
  return { segsIn: num('segs_in'), segsOut: num('segs_out') };
}

const rssMiB = (pid: number): number =>
  Number(readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!.split(/\s+/)[1]) / 1024;

const broker = new Mosquitto({ 'gw-idle': 'pw' }, fleetAcl({}));
await broker.start();
// Production defaults but the keepalive (and the short test reconnect delays, which an idle link never uses).
const agent = fleetAgent(broker, 'gw-idle', { keepaliveS: keepalive, ...(values.tls ? { url: broker.tlsUrl, caFile: broker.certs.caFile } : {}) });
await agent.start();
// The peer: the same agent without fleet.mqtt, started in the same run (the bridge must cost only itself).
const peer = new AgentProcess({ log: { level: 'warn' } });
await peer.start();
await sleep(5000);
const rss = { withFleet: +rssMiB(agent.child!.pid!).toFixed(1), withoutFleet: +rssMiB(peer.child!.pid!).toFixed(1) };
await peer.stop();
const bytes = async () => (await agent.api('GET', '/v1/fleet')).body.bytes as { sent: number; received: number };
const connectBytes = await bytes();
const port = values.tls ? broker.tlsPort : broker.port;
const s0 = segments(port);
const b0 = connectBytes;
await sleep(minutes * 60_000);
const b1 = await bytes();
const s1 = segments(port);
const app = b1.sent - b0.sent + (b1.received - b0.received);
const segs = s1.segsIn - s0.segsIn + (s1.segsOut - s0.segsOut);
const pings = (minutes * 60) / keepalive;
const perPingApp = app / pings;
const perPingIp = (app + segs * 52) / pings;
const day = (perPing: number, k: number) => Math.round((86400 / k) * perPing);
console.log(JSON.stringify({
  transport: values.tls ? 'mqtts (TLS)' : 'mqtt',
  windowMin: minutes,
  idleRssMiB: rss,
  keepaliveS: keepalive,
  connect: { appBytes: connectBytes.sent + connectBytes.received, note: 'CONNECT/CONNACK, SUBSCRIBE/SUBACK, online, first conditions' },
  window: { appBytes: app, segments: segs, ipBytes: app + segs * 52 },
  perKeepalive: { appBytes: perPingApp, ipBytes: perPingIp },
  perDay: {
    [`keepalive ${keepalive} s`]: { app: day(perPingApp, keepalive), ip: day(perPingIp, keepalive) },
    'keepalive 300 s (default)': { app: day(perPingApp, 300), ip: day(perPingIp, 300) },
  },
}, null, 2));
await agent.stop();
await broker.close();
