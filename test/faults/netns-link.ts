// Two network namespaces made by the test, joined by a veth pair with a private /30 (10.213.N.1 origin
// side, .2 agent side) that exists only inside them; tc netem and link flaps act on that pair only.
import { execFileSync, spawnSync } from 'node:child_process';

const run = (args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });

export interface NetnsLink {
  originNs: string;
  agentNs: string;
  originIp: string;
  agentIp: string;
  /** Runs a command in a namespace (prefix for spawn). */
  exec(ns: string): string[];
  /** tc qdisc on one side's veth egress, e.g. 'netem loss 2% delay 50ms rate 4mbit' or 'tbf rate 4mbit …'. */
  qdisc(side: 'origin' | 'agent', spec: string): void;
  /** Removes a side's qdisc (the veth's own default: no queue, no shaping). */
  unshape(side: 'origin' | 'agent'): void;
  setLink(up: boolean): void;
  /** TX bytes counted by the origin side's veth (what really crossed the link towards the agent). */
  originTxBytes(): number;
  /** The same with its packet count (a GSO packet's headers are counted once per packet). */
  originTx(): { bytes: number; packets: number };
  destroy(): void;
}

/** Why namespaces cannot be made here, or null. */
export function netnsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'needs root for ip netns';
  const probe = `ferry-probe-${process.pid}`;
  const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (r.status !== 0) return `ip netns add failed: ${r.stderr.trim()}`;
  const tbf = spawnSync('ip', ['netns', 'exec', probe, 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'tbf', 'rate', '4mbit', 'burst', '32kbit', 'latency', '400ms']);
  spawnSync('ip', ['netns', 'del', probe]);
  if (tbf.status !== 0) return 'tc cannot add a qdisc here (iproute2 missing?)';
  return null;
}

/** Whether the kernel has sch_netem (some VM kernels ship without it; tbf still shapes the rate). */
export function hasNetem(): boolean {
  const probe = `ferry-probe-netem-${process.pid}`;
  spawnSync('ip', ['netns', 'add', probe]);
  const r = spawnSync('ip', ['netns', 'exec', probe, 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms']);
  spawnSync('ip', ['netns', 'del', probe]);
  return r.status === 0;
}

export function makeNetnsLink(subnet: number): NetnsLink {
  const tag = `${process.pid % 100000}`;
  const originNs = `ferry-o-${tag}`;
  const agentNs = `ferry-a-${tag}`;
  const vo = `fo${tag}`;
  const va = `fa${tag}`;
  const originIp = `10.213.${subnet}.1`;
  const agentIp = `10.213.${subnet}.2`;
  run(['netns', 'add', originNs]);
  run(['netns', 'add', agentNs]);
  // Created inside the origin namespace, the peer moved to the agent's: nothing touches the host's links.
  run(['-n', originNs, 'link', 'add', vo, 'type', 'veth', 'peer', 'name', va]);
  run(['-n', originNs, 'link', 'set', va, 'netns', agentNs]);
  run(['-n', originNs, 'addr', 'add', `${originIp}/30`, 'dev', vo]);
  run(['-n', agentNs, 'addr', 'add', `${agentIp}/30`, 'dev', va]);
  for (const [ns, dev] of [[originNs, vo], [agentNs, va]] as const) {
    run(['-n', ns, 'link', 'set', 'lo', 'up']);
    run(['-n', ns, 'link', 'set', dev, 'up']);
  }
  return {
    originNs,
    agentNs,
    originIp,
    agentIp,
    exec: (ns) => ['ip', 'netns', 'exec', ns],
    qdisc(side, spec) {
      const [ns, dev] = side === 'origin' ? [originNs, vo] : [agentNs, va];
      execFileSync('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'replace', 'dev', dev, 'root', ...spec.split(' ')], { stdio: 'pipe' });
    },
    unshape(side) {
      const [ns, dev] = side === 'origin' ? [originNs, vo] : [agentNs, va];
      spawnSync('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'del', 'dev', dev, 'root'], { stdio: 'pipe' });
    },
    setLink(up) {
      run(['-n', originNs, 'link', 'set', vo, up ? 'up' : 'down']);
    },
    originTxBytes() {
      return this.originTx().bytes;
    },
    originTx() {
      const out = execFileSync('ip', ['-n', originNs, '-s', '-j', 'link', 'show', vo], { encoding: 'utf8' });
      const { tx } = (JSON.parse(out) as Array<{ stats64: { tx: { bytes: number; packets: number } } }>)[0]!.stats64;
      return { bytes: Number(tx.bytes), packets: Number(tx.packets) };
    },
    destroy() {
      spawnSync('ip', ['netns', 'del', originNs]);
      spawnSync('ip', ['netns', 'del', agentNs]);
    },
  };
}
