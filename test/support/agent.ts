// Runs the real ferryd (the built dist/, as an operator would) as a child process on a temp state dir,
// socket and transfers root, and talks to it over its Unix socket. Used by end-to-end and crash tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { makeTempDir } from './tmp.js';
import { waitFor } from './wait.js';
import { FERRYD_NODE_FLAGS } from '../../src/cli/node-flags.js';

export const FERRYD = join(process.cwd(), 'dist/src/cli/ferryd.js');
export const FERRYCTL = join(process.cwd(), 'dist/src/cli/ferryctl.js');

export interface ApiAnswer<T = any> {
  status: number;
  body: T;
}

export function apiCall<T = any>(socket: string, method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request(
      // One connection per call (agent: false): Node's default agent keeps sockets alive for 5 s, as long
      // as the server's keepAliveTimeout, so a call made ~5 s after the last one could write into a socket
      // the server was closing (EPIPE; seen in bench/daemon-http.ts between rounds).
      { socketPath: socket, method, path, agent: false, headers: data ? { 'content-type': 'application/json', 'content-length': data.length } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            /* text bodies (metrics) stay text */
          }
          resolve({ status: res.statusCode ?? 0, body: parsed as T });
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

export class AgentProcess {
  readonly dir = makeTempDir('ferry-agent-');
  readonly socket: string;
  readonly root: string;
  readonly configFile: string;
  child: ChildProcess | null = null;
  logs = '';

  constructor(private config: Record<string, unknown> = {}) {
    this.socket = join(this.dir.path, 'ferry.sock');
    this.root = join(this.dir.path, 'transfers');
    this.configFile = join(this.dir.path, 'ferry.json');
    mkdirSync(this.root, { recursive: true });
    this.writeConfig(config);
  }

  writeConfig(extra: Record<string, unknown>): void {
    this.config = extra;
    const cfg = {
      stateDir: join(this.dir.path, 'state'),
      transfersRoot: this.root,
      socket: { path: this.socket },
      log: { level: 'info' },
      ...extra,
    };
    writeFileSync(this.configFile, JSON.stringify(cfg, null, 2));
  }

  /** `opts`: how long to wait for the socket (a number: that), and `runAs` to start ferryd as that system
   * user (runuser; the test must run as root). */
  async start(env: Record<string, string> = {}, opts: number | { runAs?: string; timeoutMs?: number } = {}): Promise<void> {
    const { runAs, timeoutMs = 15_000 } = typeof opts === 'number' ? { timeoutMs: opts } : opts;
    if (!existsSync(FERRYD)) throw new Error(`${FERRYD} missing: run "npm run build" first (npm test does)`);
    const argv = [process.execPath, ...FERRYD_NODE_FLAGS, FERRYD, '--config', this.configFile];
    const [cmd, ...args] = runAs ? ['runuser', '-u', runAs, '--', ...argv] : argv;
    this.child = spawn(cmd!, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d: Buffer) => (this.logs += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.logs += d.toString()));
    const child = this.child;
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`ferryd exited ${child.exitCode}: ${this.logs}`);
        return existsSync(this.socket) && (await apiCall(this.socket, 'GET', '/v1/health').then((r) => r.status === 200, () => false));
      },
      timeoutMs,
      'ferryd to answer on its socket',
      50,
    );
  }

  api<T = any>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
    return apiCall<T>(this.socket, method, path, body);
  }

  async transfer(id: string): Promise<any> {
    return (await this.api('GET', `/v1/transfers/${id}`)).body;
  }

  /** Waits for a transfer to satisfy `pred`, returning it. */
  async waitTransfer(id: string, pred: (t: any) => boolean, timeoutMs = 20_000, what = 'transfer state'): Promise<any> {
    return waitFor(async () => {
      const t = await this.transfer(id);
      return pred(t) ? t : null;
    }, timeoutMs, `${what} (${id})`, 50);
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill(signal);
    return exited;
  }

  async stop(): Promise<void> {
    await this.kill('SIGTERM');
    this.dir.cleanup();
  }
}
