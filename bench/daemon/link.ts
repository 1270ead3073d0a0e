// A link, not loopback: nginx in one network namespace, ferryd and curl in another, joined by a veth
// pair (MTU 1500) whose origin side is shaped by tc tbf. Data arrives as a modem or NIC delivers it, in
// segments of ~1448 bytes, which is what a reader's wake-ups per byte depend on; nginx's limit_rate on
// loopback sends 64 KiB segments in bursts instead. Root only (ip netns); namespaces made here, never
// the host's links (test/faults/netns-link.ts).
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeNetnsLink, netnsUnavailable } from '../../test/faults/netns-link.js';

const NGINX = '/usr/sbin/nginx';
const PORT = 8080;

export interface Link {
  /** `http://ORIGIN_IP:PORT/` serving the www folder. */
  readonly base: string;
  /** The prefix that runs a command on the agent's side (`ip netns exec NS`). */
  readonly agent: string[];
  /** Where nginx stores PUT bodies (`${base}up/NAME`). */
  readonly upDir: string;
  /** Shapes both directions to `mibps` MiB/s; `null`: no shaping (the veth pair's own speed). */
  rate(mibps: number | null): void;
  /** What the origin's side put on the wire towards the agent, once: the veth's bytes less each packet's Ethernet,
   * IP and TCP headers (66 bytes with timestamps; a GSO packet counts its once) and less the segments TCP
   * retransmitted (an unshaped veth drops under load; ~1448 bytes each). Off by a few KiB per GiB. */
  originPayloadBytes(): number;
  /** Segments the origin's TCP retransmitted so far (nstat TcpRetransSegs): wire bytes beyond the payload. */
  originRetransSegs(): number;
  /** The prefix that runs a command on the origin's side. */
  readonly origin: string[];
  stop(): void;
}

/** Why no link can be made here, or null. */
export const linkUnavailable = (): string | null => netnsUnavailable();

export async function startLink(work: string, www: string, subnet: number): Promise<Link> {
  const dir = join(work, `link-${subnet}`);
  const upDir = join(dir, 'up');
  mkdirSync(upDir, { recursive: true });
  for (const d of [dir, upDir]) chmodSync(d, 0o777); // nginx's worker runs unprivileged
  const link = makeNetnsLink(subnet);
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, `daemon off; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 64; }
http {
  access_log off; sendfile on; tcp_nopush on; types { } default_type application/octet-stream;
  client_body_temp_path ${dir}/t1; proxy_temp_path ${dir}/t2; fastcgi_temp_path ${dir}/t3; uwsgi_temp_path ${dir}/t4; scgi_temp_path ${dir}/t5;
  server {
    listen ${link.originIp}:${PORT};
    location / { alias ${www}/; }
    location /up/ { alias ${upDir}/; dav_methods PUT; client_max_body_size 0; client_body_buffer_size 1m; }
  }
}
`);
  const proc = spawn('ip', ['netns', 'exec', link.originNs, NGINX, '-c', conf, '-p', dir], { stdio: 'inherit' });
  const base = `http://${link.originIp}:${PORT}/`;
  const agent = link.exec(link.agentNs);
  for (let i = 0; ; i++) {
    try {
      execFileSync(agent[0]!, [...agent.slice(1), 'curl', '-sS', '-o', '/dev/null', '--max-time', '2', base], { stdio: 'pipe' });
      break;
    } catch (e) {
      if (i > 50) {
        proc.kill('SIGTERM');
        link.destroy();
        throw new Error(`nginx in ${link.originNs} did not answer: ${String(e)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const retransSegs = (): number => {
    const out = execFileSync('ip', ['netns', 'exec', link.originNs, 'nstat', '-asz', 'TcpRetransSegs'], { encoding: 'utf8' });
    return Number(/TcpRetransSegs\s+(\d+)/.exec(out)?.[1] ?? NaN);
  };
  return {
    base,
    agent,
    upDir,
    origin: link.exec(link.originNs),
    rate: (mibps) => {
      for (const side of ['origin', 'agent'] as const) {
        if (mibps === null) link.unshape(side);
        else link.qdisc(side, `tbf rate ${mibps}mibps burst 16kb latency 400ms`);
      }
    },
    originRetransSegs: retransSegs,
    originPayloadBytes: () => {
      const { bytes, packets } = link.originTx();
      return bytes - packets * 66 - retransSegs() * 1448;
    },
    stop: () => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      // nginx must be gone before its namespace is.
      execFileSync('sleep', ['0.3']);
      link.destroy();
    },
  };
}
