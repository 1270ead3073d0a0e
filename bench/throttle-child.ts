// Bench child: ONE engine download under a bandwidth limit (a shared token bucket, as the agent builds
// it), printing wall time and this process's CPU as JSON, so the throttled engine is measured alone.
// Usage: node --import tsx bench/throttle-child.ts <url> <transfersRoot> <relPath> <bytesPerSecond>
import { pino } from 'pino';
import { defaultConfig } from '../src/config/load.js';
import { createEngine } from '../src/transfer/engine.js';
import { createThrottle } from '../src/transfer/throttle.js';
import { record } from '../test/support/records.js';

const [url, root, rel, rate] = process.argv.slice(2);
if (!url || !root || !rel || !rate) {
  console.error('usage: throttle-child.ts <url> <root> <rel> <bytesPerSecond>');
  process.exit(2);
}
let counted = 0;
const throttle = createThrottle({ limitFor: () => ({ key: 'bench', bytesPerSecond: Number(rate) }), onBytes: (_t, _d, n) => (counted += n) });
const engine = createEngine({ transfers: defaultConfig().transfers, transfersRoot: root, log: pino({ level: 'silent' }), throttle });
const t = record('bench', 'bench', { url, path: rel });
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
const result = await engine.runAttempt(t, new AbortController().signal, { onProgress: () => {}, onResumeState: () => {}, onWarning: () => {} });
const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
await engine.close();
process.stdout.write(JSON.stringify({ outcome: result.outcome, bytes: counted, wallS, cpuS: (cpu.user + cpu.system) / 1e6 }) + '\n');
