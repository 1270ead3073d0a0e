// Bench child: runs ONE engine attempt (download or upload) and prints the wall time and the CPU
// this process spent on it as JSON, so the engine's cost is measured alone (no server in-process).
// Usage: node --import tsx bench/http-child.ts download|upload <url> <transfersRoot> <relPath>
import { pino } from 'pino';
import { defaultConfig } from '../src/config/load.js';
import { createEngine } from '../src/transfer/engine.js';
import type { Job } from '../src/model/job.js';

const [mode, url, root, rel] = process.argv.slice(2);
if ((mode !== 'download' && mode !== 'upload') || !url || !root || !rel) {
  console.error('usage: http-child.ts download|upload <url> <root> <rel>');
  process.exit(2);
}
const engine = createEngine({ transfers: defaultConfig().transfers, transfersRoot: root, log: pino({ level: 'silent' }) });
const now = new Date().toISOString();
const t: Job = {
  id: 'bench', kind: 'http', owner: 'bench', url, method: mode === 'download' ? 'GET' : 'PUT', direction: mode, path: rel,
  protocol: 'plain', headers: {}, preferences: 'none',
  constraints: { unmetered: false, charging: false, batteryNotLow: false, storageNotLow: false },
  userInitiated: true, expedited: false, sha256: null,
  retry: { backoff: 'exponential', initialDelayS: 1, maxDelayS: 1, maxAttempts: 1 },
  periodicMinutes: null, tag: null, state: 'running', reasons: [], bytesTransferred: 0, totalBytes: null, attempts: 0,
  createdAt: now, updatedAt: now, error: null, warnings: [], resume: {}, nextAttemptAt: null, device: null,
} as Job;
let progressCalls = 0;
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
const result = await engine.runAttempt(t, new AbortController().signal, {
  onProgress: () => {
    progressCalls++;
  },
  onResumeState: () => {},
  onWarning: () => {},
});
const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
await engine.close();
process.stdout.write(
  JSON.stringify({ outcome: result.outcome, bytes: 'bytesTransferred' in result ? result.bytesTransferred : 0, wallS, cpuS: (cpu.user + cpu.system) / 1e6, userS: cpu.user / 1e6, sysS: cpu.system / 1e6, progressCalls, error: 'error' in result ? result.error.message : null }) + '\n',
);
