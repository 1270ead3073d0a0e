// The benchmark's origins on loopback: a private nginx serving files at full speed and at limited
// rates (limit_rate), accepting PUT (DAV, body to a file on disk), and logging the bytes it sent per
// request; and a tus 1.0 server (@tus/server) in its own process.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { randomFillSync } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const NGINX = '/usr/sbin/nginx';
const here = dirname(fileURLToPath(import.meta.url));

export async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as AddressInfo).port;
  s.close();
  return port;
}

/** A file of random bytes (incompressible, not all zero pages). */
export function makeFile(file: string, bytes: number): void {
  const fd = openSync(file, 'w');
  const block = randomFillSync(Buffer.alloc(8 * 1024 * 1024));
  for (let left = bytes; left > 0; left -= block.length) writeSync(fd, block, 0, Math.min(block.length, left));
  closeSync(fd);
  chmodSync(file, 0o644);
}

export interface Nginx {
  /** `http://127.0.0.1:PORT` */
  readonly base: string;
  /** Path prefix serving the www folder at `rate` (`fast`, or MiB/s such as 12, 6, 2). */
  prefix(rate: 'fast' | number): string;
  /** Body bytes nginx sent for requests whose URI contains `needle` (its access log). */
  bytesSent(needle: string): number;
  readonly upDir: string;
  stop(): void;
}

/** `bodies`: where PUT bodies (and nginx's temp files, for the rename) go; `work` unless given. */
export async function startNginx(work: string, www: string, rates: number[], bodies = work): Promise<Nginx> {
  const upDir = join(bodies, 'up');
  const t = join(bodies, 'nginx-temp');
  for (const d of [upDir, t]) mkdirSync(d, { recursive: true });
  // Workers drop to an unprivileged user when started as root: let them read and write.
  for (const d of [work, www, bodies, upDir, t]) chmodSync(d, 0o777);
  const port = await freePort();
  const log = join(work, 'access.log');
  const limited = rates.map((r) => `location /r${r}/ { alias ${www}/; limit_rate ${r}m; }`).join('\n    ');
  const conf = join(work, 'nginx.conf');
  writeFileSync(conf, `daemon off; worker_processes 1; pid ${work}/nginx.pid; error_log ${work}/error.log;
events { worker_connections 256; }
http {
  log_format bytes '$request_uri $status $body_bytes_sent $request_length';
  access_log ${log} bytes;
  sendfile on; tcp_nopush on; types { } default_type application/octet-stream;
  client_body_temp_path ${t}/body; proxy_temp_path ${t}/proxy; fastcgi_temp_path ${t}/fcgi; uwsgi_temp_path ${t}/uwsgi; scgi_temp_path ${t}/scgi;
  server {
    listen 127.0.0.1:${port};
    location /fast/ { alias ${www}/; }
    ${limited}
    location /up/ { alias ${upDir}/; dav_methods PUT; client_max_body_size 0; client_body_buffer_size 1m; }
  }
}
`);
  execFileSync(NGINX, ['-t', '-q', '-c', conf, '-p', work], { stdio: 'inherit' });
  const proc = spawn(NGINX, ['-c', conf, '-p', work], { stdio: 'inherit' });
  const base = `http://127.0.0.1:${port}`;
  await waitListening(port);
  return {
    base,
    upDir,
    prefix: (rate) => (rate === 'fast' ? '/fast/' : `/r${rate}/`),
    bytesSent(needle) {
      let sum = 0;
      for (const line of readFileSync(log, 'utf8').split('\n')) {
        const [uri, , sent] = line.split(' ');
        if (uri?.includes(needle)) sum += Number(sent);
      }
      return sum;
    },
    stop: () => stopChild(proc),
  };
}

export interface TusServer {
  readonly url: string;
  stop(): void;
}

/** @tus/server with a file store in `dir`, in a child process so its CPU is not the bench's. */
export async function startTus(dir: string): Promise<TusServer> {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(here, 'tus-server.ts'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(proc.stdout!, 'data')) as [Buffer];
  return { url: `http://127.0.0.1:${Number(line.toString())}/files`, stop: () => stopChild(proc) };
}

function stopChild(p: ChildProcess): void {
  if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
}

async function waitListening(port: number): Promise<void> {
  const { connect } = await import('node:net');
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port}`);
}
