// The real ferryctl entry run as a child process (tsx), and the unreachable-agent cases that need a
// real socket file: stale (ECONNREFUSED) and forbidden (EACCES).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startFakeAgent, makeTransfer, type FakeAgent } from './fake-agent.js';
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

let agent: FakeAgent;
beforeAll(async () => {
  agent = await startFakeAgent();
});
afterAll(() => agent.close());

describe('ferryctl as a process', () => {
  it('finds the agent through $FERRY_SOCKET and prints the API JSON with exit 0', async () => {
    const r = await ferryctl(['health', '--json'], { env: { FERRY_SOCKET: agent.socketPath } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ status: 'ok', version: '0.1.0-test' });
  });

  it('exits 3 with the socket path and the reason when nothing listens there', async () => {
    const r = await ferryctl(['ls', '--socket', '/nonexistent/dir/ferry.sock']);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('ferryctl: cannot reach ferryd at /nonexistent/dir/ferry.sock: no socket there (is ferryd running? is the path right?)\n');
  });

  it('leaves nothing open after following events: watch of a finished transfer exits by itself', async () => {
    const t = makeTransfer({ state: 'failed', error: { code: 'TIMEOUT', message: 'no answer' } });
    agent.transfers.set(t.id, t);
    const r = await ferryctl(['watch', t.id, '--socket', agent.socketPath]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`${t.id.slice(0, 8)} failed: TIMEOUT: no answer\n`);
    expect(r.stderr).toBe('error TIMEOUT: no answer\n');
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
    const other = await startFakeAgent();
    try {
      if (process.getuid?.() === 0) {
        // root ignores file modes: ask as nobody instead, on a socket only root may open.
        chmodSync(other.socketPath, 0o600);
        chmodSync(join(other.socketPath, '..'), 0o755);
        const r = await ferryctl(['health', '--socket', other.socketPath], { uid: 65534, gid: 65534 });
        expect(r.code).toBe(3);
        expect(r.stderr).toContain(`${other.socketPath}: permission denied`);
      } else {
        chmodSync(other.socketPath, 0o000);
        const r = await runCli(['health', '--socket', other.socketPath]);
        expect(r.code).toBe(3);
        expect(r.stderr).toContain(`${other.socketPath}: permission denied`);
      }
    } finally {
      await other.close();
    }
  });
});
