// Memory of an agent with 50 event-stream clients that never read, during 1 000 enqueue+delete: the
// figure behind issue 9's SSE finding. Usage: npx tsx bench/sse-slow-clients.ts [path/to/ferryd.js]
// (default: this tree's dist/; `--old` for an agent without the stream limits, which refuses their keys).
// Prints RSS before, peak and after, and how many streams were dropped.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const old = process.argv.includes('--old');
const ferryd = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? join(process.cwd(), 'dist/src/cli/ferryd.js');
const dir = mkdtempSync(join(tmpdir(), 'ferry-sse-bench-'));
const socket = join(dir, 'ferry.sock');
const cfg = { stateDir: join(dir, 'state'), transfersRoot: join(dir, 'tr'), socket: { path: socket, ...(old ? {} : { maxStreamsPerClient: 64, maxStreamStallS: 2 }) }, transfers: { perClientLimit: 100 } };
writeFileSync(join(dir, 'ferry.json'), JSON.stringify(cfg));
const child = spawn(process.execPath, [ferryd, '--config', join(dir, 'ferry.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
let logs = '';
child.stdout.on('data', (d: Buffer) => (logs += d.toString()));
child.stderr.on('data', (d: Buffer) => (logs += d.toString()));

const call = (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> =>
  new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request({ socketPath: socket, method, path, headers: data ? { 'content-type': 'application/json', 'content-length': data.length } : {} }, (res) => {
      let t = '';
      res.on('data', (c) => (t += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: t ? JSON.parse(t) : null }));
    });
    req.on('error', reject);
    req.end(data);
  });
const rss = (): number => Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) / 102.4) / 10;

async function main(): Promise<void> {
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`ferryd exited: ${logs.slice(0, 500)}`);
    if (await call('GET', '/v1/health').then((r) => r.status === 200, () => false)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const before = rss();
  const slow: Socket[] = [];
  for (let i = 0; i < 50; i++) {
    const s = connect(socket);
    s.write('GET /v1/events HTTP/1.1\r\nhost: ferry\r\n\r\n');
    s.pause();
    slow.push(s);
  }
  let peak = before;
  const tag = 'x'.repeat(1000);
  for (let i = 0; i < 1000; i++) {
    const r = await call('POST', '/v1/transfers', { url: `http://127.0.0.1:1/f${i}`, path: `s/f${i}`, tag, retry: { initialDelayS: 3600 } });
    await call('DELETE', `/v1/transfers/${r.body.id}`);
    if (i % 50 === 0) peak = Math.max(peak, rss());
  }
  await new Promise((r) => setTimeout(r, 4000));
  const after = rss();
  const dropped = (logs.match(/dropped an event stream/g) ?? []).length;
  const warnings = (logs.match(/MaxListenersExceededWarning/g) ?? []).length;
  console.log(`sse-slow-clients: ${ferryd}: RSS before ${before} MiB, peak ${Math.max(peak, after)} MiB, after ${after} MiB; dropped ${dropped}/50; MaxListeners warnings ${warnings}`);
  for (const s of slow) s.destroy();
  child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  child.kill('SIGKILL');
  process.exit(1);
});
