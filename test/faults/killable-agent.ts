// A ferryd that may be SIGKILLed at any moment, also while it starts: spawn returns at once, ready()
// waits for the socket to answer, kill() waits for the exit. Keeps only the tail of the log.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { AgentProcess, apiCall, FERRYD } from '../support/agent.js';
import { FERRYD_NODE_FLAGS } from '../../src/cli/node-flags.js';

const LOG_TAIL = 64 * 1024;

export class KillableAgent extends AgentProcess {
  private proc: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  tail = '';

  /** `prefix`: a command that execs ferryd, e.g. ['ip', 'netns', 'exec', NS] (the pid stays ferryd's). */
  spawn(prefix: string[] = []): void {
    if (!existsSync(FERRYD)) throw new Error(`${FERRYD} missing: run "npm run build" first`);
    const argv = [...prefix, process.execPath, ...FERRYD_NODE_FLAGS, FERRYD, '--config', this.configFile];
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d: Buffer) => {
      this.tail = (this.tail + d.toString()).slice(-LOG_TAIL);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.exited = new Promise((r) => child.once('exit', () => r()));
    this.proc = child;
    this.child = child;
  }

  get running(): boolean {
    return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** True once the API answers; false if the process died first or the time ran out. */
  async ready(timeoutMs = 60_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) return false;
      if (existsSync(this.socket)) {
        const ok = await apiCall(this.socket, 'GET', '/v1/health').then((r) => r.status === 200, () => false);
        if (ok) return true;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return false;
  }

  /** Whether the process ended other than by our SIGKILL (a crash is a finding). */
  crashed(): boolean {
    return this.proc !== null && this.proc.exitCode !== null;
  }

  async killHard(): Promise<void> {
    if (this.running) this.proc!.kill('SIGKILL');
    await this.exited;
  }
}
