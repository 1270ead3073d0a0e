// A real Mosquitto broker for fleet tests: its own config on free loopback ports (plain and TLS), a
// password file made with mosquitto_passwd, a pattern ACL, persistence in a temp dir (so a restart keeps
// retained messages and sessions). Operators' side through mosquitto_pub / mosquitto_sub, as in the docs.
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { makeTestCerts, type TestCerts } from './tls-certs.js';
import { makeTempDir } from './tmp.js';
import { waitFor } from './wait.js';

const MOSQUITTO = ['/usr/sbin/mosquitto', 'mosquitto'].find((b) => spawnSync(b, ['-h']).error === undefined) ?? 'mosquitto';

/** Why broker tests cannot run here, or null. Under CI=true the broker is a declared dependency: never skip. */
export function mosquittoUnavailableReason(): string | null {
  if (process.env.CI === 'true') return null;
  if (spawnSync(MOSQUITTO, ['-h']).error) return 'mosquitto is not installed (apt-get install mosquitto mosquitto-clients)';
  if (spawnSync('mosquitto_pub', ['--help']).error) return 'mosquitto-clients is not installed';
  return null;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The ACL of docs/FLEET.md: a gateway reads its own and its groups' job topics and writes only its own. */
export function fleetAcl(groups: Record<string, string[]>, prefix = 'ferry/v1'): string {
  const lines = [
    'user operator',
    `topic readwrite ${prefix}/#`,
    '',
    `pattern read ${prefix}/%u/jobs/+`,
    `pattern write ${prefix}/%u/online`,
    `pattern write ${prefix}/%u/conditions`,
    `pattern write ${prefix}/%u/jobs/+/status`,
  ];
  for (const [user, gs] of Object.entries(groups)) {
    lines.push('', `user ${user}`, ...gs.map((g) => `topic read ${prefix}/groups/${g}/jobs/+`));
  }
  return lines.join('\n') + '\n';
}

export interface Message {
  topic: string;
  payload: string;
}

export class Mosquitto {
  readonly dir = makeTempDir('ferry-mosquitto-');
  readonly certs: TestCerts = makeTestCerts();
  port = 0;
  tlsPort = 0;
  child: ChildProcess | null = null;
  logs = '';
  private readonly passwd: string;

  constructor(readonly users: Record<string, string>, readonly acl: string) {
    this.passwd = join(this.dir.path, 'passwd');
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  get tlsUrl(): string {
    return `mqtts://localhost:${this.tlsPort}`;
  }

  /** Writes the password file (one file per gateway's secret, as ferry reads them) and the config. */
  private prepare(): void {
    writeFileSync(this.passwd, '');
    for (const [u, p] of Object.entries(this.users)) {
      execFileSync('mosquitto_passwd', ['-b', this.passwd, u, p]);
      writeFileSync(join(this.dir.path, `${u}.secret`), `${p}\n`, { mode: 0o600 });
    }
    writeFileSync(join(this.dir.path, 'acl'), this.acl);
    writeFileSync(join(this.dir.path, 'server.key'), this.certs.key);
    writeFileSync(join(this.dir.path, 'server.pem'), this.certs.cert);
    writeFileSync(
      join(this.dir.path, 'mosquitto.conf'),
      [
        // Run as root (CI containers), Mosquitto would switch to its own user and lose our temp files.
        `user ${userInfo().username}`,
        'per_listener_settings false',
        'allow_anonymous false',
        `password_file ${this.passwd}`,
        `acl_file ${join(this.dir.path, 'acl')}`,
        'persistence true',
        `persistence_location ${this.dir.path}/`,
        'autosave_interval 1',
        'log_dest stdout',
        'log_type error',
        'log_type warning',
        'log_type notice',
        `listener ${this.port} 127.0.0.1`,
        `listener ${this.tlsPort} 127.0.0.1`,
        `cafile ${this.certs.caFile}`,
        `certfile ${join(this.dir.path, 'server.pem')}`,
        `keyfile ${join(this.dir.path, 'server.key')}`,
        '',
      ].join('\n'),
    );
  }

  /** The file holding `user`'s password (for fleet.mqtt.passwordFile). */
  secretFile(user: string): string {
    return join(this.dir.path, `${user}.secret`);
  }

  async start(): Promise<void> {
    if (!this.port) {
      this.port = await freePort();
      this.tlsPort = await freePort();
      this.prepare();
    }
    const child = spawn(MOSQUITTO, ['-c', join(this.dir.path, 'mosquitto.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout!.on('data', (d: Buffer) => (this.logs += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.logs += d.toString()));
    await waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`mosquitto exited ${child.exitCode}: ${this.logs}`);
        return new Promise<boolean>((r) => {
          const s = connect(this.port, '127.0.0.1', () => (s.destroy(), r(true)));
          s.on('error', () => r(false));
        });
      },
      10_000,
      'mosquitto to listen',
      50,
    );
  }

  /** Orderly stop: Mosquitto writes its persistence file on SIGTERM. */
  async stop(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    await exited;
  }

  async close(): Promise<void> {
    await this.stop();
    this.dir.cleanup();
    this.certs.cleanup();
  }

  private auth(user: string): string[] {
    return ['-h', '127.0.0.1', '-p', String(this.port), '-u', user, '-P', this.users[user]!, '-q', '1'];
  }

  /** mosquitto_pub -r (retained); `null` publishes the empty payload that withdraws a job. */
  pub(user: string, topic: string, payload: string | null, retain = true): void {
    // A large payload goes through stdin (-s): one argument is limited to 128 KiB.
    const big = payload !== null && payload.length > 64 * 1024;
    const body = payload === null ? ['-n'] : big ? ['-s'] : ['-m', payload];
    execFileSync('mosquitto_pub', [...this.auth(user), ...(retain ? ['-r'] : []), '-t', topic, ...body], big ? { input: payload } : {});
  }

  /** What `user` receives on `topic` within `seconds` (retained messages included). */
  sub(user: string, topic: string, seconds: number, count = 100): Message[] {
    const r = spawnSync('mosquitto_sub', [...this.auth(user), '-t', topic, '-F', '%t %p', '-W', String(seconds), '-C', String(count)], { encoding: 'utf8' });
    return r.stdout.split('\n').filter(Boolean).map(parseLine);
  }

  /** A long-running operator subscription collecting everything under `topic`. */
  watch(user: string, topic: string): Watch {
    const child = spawn('mosquitto_sub', [...this.auth(user), '-t', topic, '-F', '%t %p'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const w: Watch = {
      messages: [],
      last: (t) => [...w.messages].reverse().find((m) => m.topic === t),
      json: (t) => {
        const m = w.last(t);
        return m && m.payload ? JSON.parse(m.payload) : undefined;
      },
      stop: () => void child.kill(),
    };
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) w.messages.push(parseLine(l));
    });
    return w;
  }
}

export interface Watch {
  messages: Message[];
  last(topic: string): Message | undefined;
  json(topic: string): any;
  stop(): void;
}

function parseLine(l: string): Message {
  const i = l.indexOf(' ');
  return i < 0 ? { topic: l, payload: '' } : { topic: l.slice(0, i), payload: l.slice(i + 1) };
}
