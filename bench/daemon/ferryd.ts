// Runs the real ferryd (built dist/, embedded defaults apart from its paths) on a state dir and
// transfers root on a real disk, queues through its socket and waits for transfers through its SSE
// stream; reads its CPU (run time of every thread, /proc/PID/task/*/schedstat) and RSS from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { FERRYD_NODE_FLAGS } from '../../src/cli/node-flags.js';
import { SseParser } from '../../src/cli/sse-parser.js';
import { apiCall, FERRYD, type ApiAnswer } from '../../test/support/agent.js';

const TICK_S = 1 / 100; // USER_HZ on Linux

/** utime+stime of the whole process (dead threads included), in 10 ms ticks: coarse. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 (utime, stime) are the 12th and 13th after the comm field.
  return (Number(f[11]) + Number(f[12])) * TICK_S;
}

/** Run time of each live thread in ns (/proc/PID/task/TID/schedstat, first field). */
function threadTimes(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      out.set(tid, Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]));
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

/**
 * CPU a process spends from now on, to the nanosecond: the sum over its threads' run times. At 2 MiB/s a
 * transfer costs ferry ~15 ticks and curl ~8, so tick counts alone would move a ratio by 10 %. A thread
 * that ends in between takes its time with it: then the tick count of the whole process is used instead.
 */
export function cpuMeter(pid: number): { seconds(): number; precise(): boolean } {
  const before = threadTimes(pid);
  const ticks0 = cpuSeconds(pid);
  let exact = true;
  return {
    seconds() {
      const after = threadTimes(pid);
      exact = [...before.keys()].every((tid) => after.has(tid));
      if (!exact) return cpuSeconds(pid) - ticks0;
      let ns = 0;
      for (const [tid, t] of after) ns += t - (before.get(tid) ?? 0);
      return ns / 1e9;
    },
    precise: () => exact,
  };
}

export function rssMiB(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${field}:`))!;
  return Number(line.split(/\s+/)[1]) / 1024;
}

/** Resets VmHWM so the next reading is the peak from now on. */
export function resetPeak(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

type Waiter = { id: string; resolve: (t: any) => void };

export class Ferryd {
  readonly socket: string;
  readonly root: string;
  private child: ChildProcess | null = null;
  private waiters: Waiter[] = [];
  private finals = new Map<string, any>();
  private events: ReturnType<typeof request> | null = null;
  readonly logFile: string;

  constructor(
    readonly dir: string,
    private readonly extra: Record<string, unknown> = {},
    /** Another build's ferryd.js, for an A/B of two trees in one run. */
    private readonly binary: string = FERRYD,
    /** A command that runs ferryd, e.g. `ip netns exec NS` for a namespace with a shaped link (it must exec). */
    private readonly wrap: string[] = [],
  ) {
    this.socket = join(dir, 'ferry.sock');
    this.root = join(dir, 'transfers');
    this.logFile = join(dir, 'ferryd.log');
    mkdirSync(this.root, { recursive: true });
  }

  get pid(): number {
    return this.child!.pid!;
  }

  async start(nodeArgs: string[] = []): Promise<void> {
    if (!existsSync(this.binary)) throw new Error(`${this.binary} missing: run "npm run build" first`);
    const config = join(this.dir, 'ferry.json');
    writeFileSync(config, JSON.stringify({ stateDir: join(this.dir, 'state'), transfersRoot: this.root, socket: { path: this.socket }, ...this.extra }));
    // Its log goes to a file, as to journald: not through a pipe this process would have to drain.
    const log = openSync(this.logFile, 'a');
    const argv = [process.execPath, ...FERRYD_NODE_FLAGS, ...nodeArgs, this.binary, '--config', config];
    const [cmd, ...args] = [...this.wrap, ...argv];
    this.child = spawn(cmd!, args, { stdio: ['ignore', log, log] });
    closeSync(log);
    for (let i = 0; ; i++) {
      if (this.child.exitCode !== null) throw new Error(`ferryd exited ${this.child.exitCode}: ${readFileSync(this.logFile, 'utf8').slice(-2000)}`);
      if (existsSync(this.socket) && (await this.api('GET', '/v1/health').then((r) => r.status === 200, () => false))) break;
      if (i > 300) throw new Error('ferryd did not answer on its socket');
      await new Promise((r) => setTimeout(r, 50));
    }
    this.listen();
  }

  api<T = any>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
    return apiCall<T>(this.socket, method, path, body);
  }

  /** Queues a transfer; resolves with its id. */
  async enqueue(body: Record<string, unknown>): Promise<string> {
    const r = await this.api('POST', '/v1/transfers', { preferences: 'none', ...body });
    if (r.status !== 201) throw new Error(`enqueue: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.id as string;
  }

  /** Resolves with the transfer once it reached a final state (from the SSE stream). */
  done(id: string): Promise<any> {
    const seen = this.finals.get(id);
    if (seen) return Promise.resolve(seen);
    const waiting = new Promise((resolve) => this.waiters.push({ id, resolve }));
    // A transfer that ended before the stream was open (one finished right after a restart) is read once.
    const now = this.api('GET', `/v1/transfers/${id}`).then(
      (r) => (r.status === 200 && ['completed', 'failed', 'cancelled'].includes(r.body.state) ? r.body : waiting),
      () => waiting,
    );
    return Promise.race([waiting, now]);
  }

  private listen(): void {
    const parser = new SseParser();
    this.events = request({ socketPath: this.socket, path: '/v1/events', method: 'GET' }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        for (const ev of parser.push(chunk)) {
          const t = ev.data as { id?: string; state?: string };
          if (ev.event !== 'transfer' || !t.id || !['completed', 'failed', 'cancelled'].includes(t.state ?? '')) continue;
          this.finals.set(t.id, t);
          for (const w of this.waiters.filter((x) => x.id === t.id)) w.resolve(t);
          this.waiters = this.waiters.filter((x) => x.id !== t.id);
        }
      });
    });
    this.events.on('error', () => undefined);
    this.events.end();
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    this.events?.destroy();
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child);
    child.kill(signal);
    await exited;
  }
}

const once = (c: ChildProcess): Promise<void> => new Promise((r) => c.once('exit', () => r()));
