// Loopback throughput and CPU of ferry's HTTP engine against curl: download a file served by a
// private nginx, and upload it to a discarding sink, each with both clients; ferry runs in a child
// process so its CPU is measured alone. Targets: throughput >= 0.9x curl, CPU <= 2x curl.
// Usage: npx tsx bench/http-throughput.ts [--size-mib 1024] [--runs 1] [--dest-dir /dev/shm] [--profile DIR]
import { spawn, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { randomFillSync } from 'node:crypto';
import { freePort } from './daemon/origin.js';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './run-command.js';

const here = dirname(fileURLToPath(import.meta.url));
const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
};
const sizeMiB = Number(arg('size-mib', '1024'));
const runs = Number(arg('runs', '1'));
// Downloads land on tmpfs by default so the disk (and ferry's fsync, which curl does not do) stays out of the comparison.
const destBase = arg('dest-dir', existsSync('/dev/shm') ? '/dev/shm' : tmpdir());
const NGINX = '/usr/sbin/nginx';
// --profile DIR: write V8 CPU profiles of the ferry children there (open in Chrome DevTools).
const profileDir = arg('profile', '');

interface Measure {
  wallS: number;
  cpuS: number;
}

async function ferry(mode: 'download' | 'upload', url: string, root: string, rel: string): Promise<Measure> {
  const prof = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-name', `${mode}.cpuprofile`] : [];
  const out = await run(process.execPath, [...prof, '--import', 'tsx', join(here, 'http-child.ts'), mode, url, root, rel]);
  const r = JSON.parse(out.trim().split('\n').pop()!) as Measure & { outcome: string; error: string | null };
  if (r.outcome !== 'completed') throw new Error(`ferry ${mode}: ${r.outcome} ${r.error}`);
  return r;
}

/** curl's own transfer time, and its user+sys CPU from the shell's `times` (whole process). */
async function curl(args: string[]): Promise<Measure> {
  const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const out = await run('bash', ['-c', `curl -sS --fail -w '%{time_total}\\n' ${quoted} && times`]);
  const lines = out.trim().split('\n');
  const wallS = Number(lines[0]);
  const secs = (s: string): number => {
    const m = /(\d+)m([\d.]+)s/.exec(s);
    return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
  };
  const [u, s] = lines[2]!.trim().split(/\s+/);
  return { wallS, cpuS: secs(u!) + secs(s!) };
}

function median(xs: Measure[]): Measure {
  const by = (k: keyof Measure): number => [...xs].sort((a, b) => a[k] - b[k])[Math.floor(xs.length / 2)]![k];
  return { wallS: by('wallS'), cpuS: by('cpuS') };
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'ferry-http-bench-'));
  const dest = mkdtempSync(join(destBase, 'ferry-http-bench-dest-'));
  const www = join(work, 'www');
  mkdirSync(www);
  // nginx workers drop to an unprivileged user when started as root: let them read the file.
  chmodSync(work, 0o755);
  chmodSync(www, 0o755);
  mkdirSync(join(work, 'temp'));
  const cleanups: Array<() => void> = [() => rmSync(work, { recursive: true, force: true }), () => rmSync(dest, { recursive: true, force: true })];
  try {
    const bytes = sizeMiB * 1024 * 1024;
    const file = join(www, 'big.bin');
    const fd = openSync(file, 'w');
    const block = randomFillSync(Buffer.alloc(8 * 1024 * 1024));
    for (let left = bytes; left > 0; left -= block.length) writeSync(fd, block, 0, Math.min(block.length, left));
    closeSync(fd);
    chmodSync(file, 0o644);

    const port = await freePort();
    const conf = join(work, 'nginx.conf');
    const t = join(work, 'temp');
    writeFileSync(conf, `daemon off; worker_processes 1; pid ${work}/nginx.pid; error_log ${work}/error.log;
events { worker_connections 64; }
http { access_log off; sendfile on; tcp_nopush on; types { } default_type application/octet-stream;
  client_body_temp_path ${t}/body; proxy_temp_path ${t}/proxy; fastcgi_temp_path ${t}/fcgi; uwsgi_temp_path ${t}/uwsgi; scgi_temp_path ${t}/scgi;
  server { listen 127.0.0.1:${port}; root ${www}; } }
`);
    execFileSync(NGINX, ['-t', '-q', '-c', conf, '-p', work], { stdio: 'inherit' });
    const nginx = spawn(NGINX, ['-c', conf, '-p', work], { stdio: 'inherit' });
    cleanups.unshift(() => nginx.kill('SIGTERM'));
    const sink = spawn(process.execPath, ['--import', 'tsx', join(here, 'http-sink.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
    cleanups.unshift(() => sink.kill('SIGTERM'));
    const [portLine] = (await once(sink.stdout, 'data')) as [Buffer];
    const sinkUrl = `http://127.0.0.1:${Number(portLine.toString())}/upload`;
    const url = `http://127.0.0.1:${port}/big.bin`;
    for (let i = 0; i < 50; i++) {
      try {
        await run('curl', ['-sS', '-o', '/dev/null', '-r', '0-0', url]);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }

    const res: Record<string, Measure[]> = { ferryDown: [], curlDown: [], ferryUp: [], curlUp: [] };
    for (let i = 0; i < runs; i++) {
      res.curlDown!.push(await curl(['-o', join(dest, 'curl.bin'), url]));
      if (statSync(join(dest, 'curl.bin')).size !== bytes) throw new Error('curl download incomplete');
      rmSync(join(dest, 'curl.bin'));
      res.ferryDown!.push(await ferry('download', url, dest, 'ferry.bin'));
      if (statSync(join(dest, 'ferry.bin')).size !== bytes) throw new Error('ferry download incomplete');
      rmSync(join(dest, 'ferry.bin'));
      res.curlUp!.push(await curl(['-o', '/dev/null', '-H', 'Expect:', '-T', file, sinkUrl]));
      res.ferryUp!.push(await ferry('upload', sinkUrl, www, 'big.bin'));
    }

    const mib = bytes / 1024 / 1024;
    const row = (name: string, m: Measure): string =>
      `${name.padEnd(16)} ${m.wallS.toFixed(2).padStart(7)} ${(mib / m.wallS).toFixed(0).padStart(8)} ${m.cpuS.toFixed(2).padStart(7)}`;
    console.log(`\n${sizeMiB} MiB over loopback, median of ${runs} run(s); downloads written to ${destBase}`);
    console.log(`${'client'.padEnd(16)} ${'wall s'.padStart(7)} ${'MiB/s'.padStart(8)} ${'CPU s'.padStart(7)}`);
    for (const dir of ['Down', 'Up'] as const) {
      const f = median(res[`ferry${dir}`]!);
      const c = median(res[`curl${dir}`]!);
      const label = dir === 'Down' ? 'download' : 'upload';
      console.log(row(`ferry ${label}`, f));
      console.log(row(`curl ${label}`, c));
      const tput = c.wallS / f.wallS;
      const cpu = f.cpuS / c.cpuS;
      console.log(`  ${label}: throughput ferry/curl ${tput.toFixed(2)} (target >= 0.9 ${tput >= 0.9 ? 'ok' : 'MISS'}), CPU ferry/curl ${cpu.toFixed(2)} (target <= 2 ${cpu <= 2 ? 'ok' : 'MISS'})`);
    }
  } finally {
    for (const c of cleanups) c();
  }
}

await main();
