// The real ferryctl entry run as a child process (tsx), and the unreachable-agent cases that need a
// real socket file: stale (ECONNREFUSED) and forbidden (EACCES).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createServer } from 'node:net';
import { startCliAgent, type CliAgent } from './cli-agent.js';
import { runCli } from './run-cli.js';
import { makeTempDir } from '../support/tmp.js';

const ROOT = resolve(import.meta.dirname, '../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const ENTRY = join(ROOT, 'src/cli/ferryctl.ts');

function ferryctl(
  argv: string[],
  opts: { env?: Record<string, string>; uid?: number; gid?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: '/tmp', ...opts.env };
    const ids = opts.uid === undefined ? {} : { uid: opts.uid, gid: opts.gid ?? opts.uid };
    execFile(TSX, [ENTRY, ...argv], { cwd: ROOT, env, timeout: 30_000, ...ids }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

let ctl: CliAgent;
beforeAll(async () => {
  ctl = await startCliAgent();
}, 30_000);
afterAll(() => ctl?.close());

describe('ferryctl as a process', () => {
  it('finds the agent through $FERRY_SOCKET and prints the API JSON with exit 0', async () => {
    const r = await ferryctl(['health', '--json'], { env: { FERRY_SOCKET: ctl.agent.socket } });
    const api = (await ctl.agent.api('GET', '/v1/health')).body;
    expect({ code: r.code, stderr: r.stderr, body: JSON.parse(r.stdout) }).toEqual({ code: 0, stderr: '', body: api });
  });

  it('exits 3 with the socket path and the reason when nothing listens there', async () => {
    const r = await ferryctl(['ls', '--socket', '/nonexistent/dir/ferry.sock']);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('ferryctl: cannot reach ferryd at /nonexistent/dir/ferry.sock: no socket there (is ferryd running? is the path right?)\n');
  });

  it('leaves nothing open after following events: watch of a finished transfer exits by itself', async () => {
    ctl.origin.file('/small.bin', Buffer.alloc(1000, 1));
    const t = await ctl.add({ url: ctl.origin.url('/small.bin'), path: 'f.bin', preferences: 'allowCellularAndBattery', sha256: 'ab'.repeat(32) });
    const failed = await ctl.until(t.id, (x) => x.state === 'failed', 'failed');
    const r = await ferryctl(['watch', t.id, '--socket', ctl.agent.socket]);
    const line = `${failed.error!.code}: ${failed.error!.message}`;
    expect(r).toEqual({ code: 1, stdout: `${t.id.slice(0, 8)} failed: ${line}\n`, stderr: `error ${line}\n` });
  });

  it('exits 2 on a usage error', async () => {
    const r = await ferryctl(['add']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('missing URL');
  });
});

describe('unreachable agent, by cause', () => {
  it('says "connection refused" for a stale socket file', async () => {
    const dir = makeTempDir();
    try {
      const path = join(dir.path, 'stale.sock');
      // A socket bound by a process that then exits stays on disk with nobody listening.
      execFileSync('python3', ['-c', 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])', path]);
      const r = await runCli(['health', '--socket', path]);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(`${path}: connection refused`);
    } finally {
      dir.cleanup();
    }
  });

  it('says "permission denied" when the socket is not ours to open', async () => {
    // Any listening socket will do: the refusal comes from the file mode, before a word is exchanged.
    const dir = makeTempDir();
    const other = createServer();
    await new Promise<void>((r) => other.listen(join(dir.path, 'other.sock'), r));
    const socketPath = join(dir.path, 'other.sock');
    try {
      if (process.getuid?.() === 0) {
        // root ignores file modes: ask as nobody instead, on a socket only root may open.
        chmodSync(socketPath, 0o600);
        chmodSync(join(socketPath, '..'), 0o755);
        const r = await ferryctl(['health', '--socket', socketPath], { uid: 65534, gid: 65534 });
        expect(r.code).toBe(3);
        expect(r.stderr).toContain(`${socketPath}: permission denied`);
      } else {
        chmodSync(socketPath, 0o000);
        const r = await runCli(['health', '--socket', socketPath]);
        expect(r.code).toBe(3);
        expect(r.stderr).toContain(`${socketPath}: permission denied`);
      }
    } finally {
      await new Promise((r) => other.close(r));
      dir.cleanup();
    }
  });
});
