// ferryctl's one-shot commands against a stand-in agent: exit statuses, --json, socket discovery,
// human output, error bodies and usage errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { startFakeAgent, makeTransfer, CONDITIONS, type FakeAgent } from './fake-agent.js';
import { runCli } from './run-cli.js';
import { makeTempDir } from '../support/tmp.js';

const waiting = makeTransfer({
  id: 'aaaa1111-0000-4000-8000-000000000001',
  state: 'waiting',
  reasons: [
    { code: 'needs-wifi', message: 'waits for Wi-Fi or Ethernet: 48 MB is over the 20 MB cellular cap' },
    { code: 'roaming', message: 'paused while roaming on a cellular link' },
  ],
  warnings: [{ code: 'no-range-support', message: 'the server ignores Range: an interruption restarts from zero' }],
});
const running = makeTransfer({
  id: 'bbbb2222-0000-4000-8000-000000000002',
  state: 'running',
  bytesTransferred: 25_165_824,
  path: 'logs/today.tar',
});
const failed = makeTransfer({
  id: 'bbbb3333-0000-4000-8000-000000000003',
  state: 'failed',
  error: { code: 'CHECKSUM_MISMATCH', message: 'sha256 of the file does not match' },
});

let agent: FakeAgent;
let sock: string[];
beforeAll(async () => {
  agent = await startFakeAgent({ initial: [waiting, running, failed] });
  sock = ['--socket', agent.socketPath];
});
afterAll(() => agent.close());

describe('exit statuses', () => {
  it('exits 0 and prints the health line when the agent answers', async () => {
    const r = await runCli(['health', ...sock]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain('version 0.1.0-test');
  });

  it('exits 1 and prints "error CODE: message" when the agent answers an error', async () => {
    const r = await runCli(['show', 'no-such-id', ...sock]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error NOT_FOUND: no transfer no-such-id\n');
  });

  it('prints the field of an error body next to its message', async () => {
    const r = await runCli(['add', 'https://example.org/a', 'a.bin', '-H', 'Range: bytes=0-', ...sock]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error RESERVED_HEADER: header Range is reserved for the agent (field headers.Range)\n');
  });

  it('exits 1 on a wrong-state action (409)', async () => {
    const r = await runCli(['pause', failed.id, ...sock]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error WRONG_STATE');
  });

  it.each([
    [['frob'], "unknown command 'frob'"],
    [[], 'missing command'],
    [['show'], 'missing ID'],
    [['ls', '--bogus'], 'unknown option --bogus'],
    [['ls', 'extra'], "unexpected argument 'extra'"],
    [['ls', '--state', 'sleeping'], '--state must be among'],
    [['add', 'https://x/y', '--method', 'PATCH'], '--method must be one of GET, POST, PUT'],
    [['add', 'https://x/y', '--sha256', 'abc'], '--sha256 must be 64 hex digits'],
    [['add', 'https://x/y', '-H', 'no-colon'], "--header must look like 'Name: value'"],
    [['add', 'https://x/y', 'p', '--upload', 'f'], 'either PATH or --upload'],
    [['help', 'frob'], "unknown command 'frob'"],
  ])('exits 2 with a message and a short usage for %j', async (argv, message) => {
    const r = await runCli([...argv, ...sock]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toMatch(/usage: ferryctl/);
    expect(agent.requests.some((q) => q.url.includes('x/y'))).toBe(false);
  });

  it('exits 3 naming the socket path when nothing is there', async () => {
    const dir = makeTempDir();
    try {
      const path = join(dir.path, 'absent.sock');
      const r = await runCli(['ls', '--socket', path]);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(path);
      expect(r.stderr).toContain('no socket there');
    } finally {
      dir.cleanup();
    }
  });

  it('prints help on stdout with exit 0 for help, --help and COMMAND --help', async () => {
    for (const argv of [['help'], ['--help'], ['add', '--help'], ['help', 'watch'], ['-h', 'ls']]) {
      const r = await runCli(argv);
      expect(r.code, argv.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/usage: ferryctl/);
    }
    expect((await runCli(['add', '--help'])).stdout).toContain('--battery-not-low');
  });
});

describe('socket discovery', () => {
  it('uses --socket before $FERRY_SOCKET', async () => {
    const r = await runCli(['health', '--socket', agent.socketPath], { env: { FERRY_SOCKET: '/nonexistent/ferry.sock' } });
    expect(r.code).toBe(0);
  });

  it('uses $FERRY_SOCKET when there is no --socket', async () => {
    expect((await runCli(['health'], { env: { FERRY_SOCKET: agent.socketPath } })).code).toBe(0);
    const r = await runCli(['health'], { env: { FERRY_SOCKET: '/nonexistent/env.sock' } });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('/nonexistent/env.sock');
  });

  it('falls back to /run/ferry/ferry.sock', async () => {
    const r = await runCli(['health'], { env: {} });
    // On a machine running ferryd the default answers (0); otherwise the failure names the path tried.
    expect([0, 3]).toContain(r.code);
    if (r.code === 3) expect(r.stderr).toContain('/run/ferry/ferry.sock');
    else expect(r.stdout).toContain('(socket /run/ferry/ferry.sock)');
  });

  it('accepts global options before the command', async () => {
    const r = await runCli(['--socket', agent.socketPath, '--json', 'health']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ status: 'ok', version: '0.1.0-test' });
  });
});

describe('--json', () => {
  it('prints the API JSON of ls, show, conditions and actions', async () => {
    const ls = await runCli(['ls', '--json', ...sock]);
    expect(JSON.parse(ls.stdout).transfers.map((t: { id: string }) => t.id)).toEqual(
      expect.arrayContaining([waiting.id, running.id, failed.id]),
    );
    expect(JSON.parse((await runCli(['show', waiting.id, '--json', ...sock])).stdout)).toEqual(waiting);
    expect(JSON.parse((await runCli(['conditions', '--json', ...sock])).stdout)).toEqual(CONDITIONS);
    const filtered = JSON.parse((await runCli(['ls', '--json', '--state', 'failed', ...sock])).stdout);
    expect(filtered).toEqual({ transfers: [failed] });
  });

  it('prints the API error body on stdout and exits 1', async () => {
    const r = await runCli(['show', 'nope', '--json', ...sock]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: 'NOT_FOUND', message: 'no transfer nope' } });
  });

  it('sends only the fields the user set, with the names API.md uses', async () => {
    const sha = 'AB'.repeat(32);
    const r = await runCli(
      ['add', 'https://example.org/up', '--upload', 'logs/x.tar', '--protocol', 'tus', '-H', 'x-token: abc',
        '--preferences', 'allowcellular', '--unmetered', '--battery-not-low', '--user-initiated', '--sha256', sha,
        '--tag', 'nightly', '--window', 'night', '--json', ...sock],
    );
    expect(r.code).toBe(0);
    const created = JSON.parse(r.stdout);
    expect(created.tag).toBe('nightly');
    const sent = agent.requests.filter((q) => q.method === 'POST' && q.url === '/v1/transfers').at(-1)!.body;
    expect(sent).toEqual({
      url: 'https://example.org/up',
      method: 'PUT',
      direction: 'upload',
      path: 'logs/x.tar',
      protocol: 'tus',
      headers: { 'x-token': 'abc' },
      preferences: 'allowCellular',
      constraints: { unmetered: true, batteryNotLow: true },
      userInitiated: true,
      sha256: 'ab'.repeat(32),
      tag: 'nightly',
      window: 'night',
    });
  });
});

describe('human output', () => {
  it('ls shows an aligned table with short ids, percent, human sizes and reason messages', async () => {
    const r = await runCli(['ls', ...sock]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+STATE\s+PROGRESS\s+SIZE\s+PATH\s+REASONS$/);
    const row = lines.find((l) => l.startsWith('aaaa1111 '))!;
    expect(row).toContain('waiting');
    expect(row).toContain('50 MB');
    expect(row).toContain('waits for Wi-Fi or Ethernet: 48 MB is over the 20 MB cellular cap; paused while roaming');
    expect(lines.find((l) => l.startsWith('bbbb2222 '))).toMatch(/running\s+50 %\s+50 MB\s+logs\/today\.tar/);
    expect(lines.find((l) => l.startsWith('bbbb3333 '))).toContain('CHECKSUM_MISMATCH: sha256 of the file does not match');
    // Aligned: the STATE column starts at the same offset on every line.
    const offsets = new Set(lines.map((l) => l.search(/(STATE|waiting|running|failed|completed|queued|paused|cancelled)/)));
    expect(offsets.size).toBe(1);
  });

  it('show lists state, progress, each reason message, warnings and the error', async () => {
    const w = (await runCli(['show', waiting.id, ...sock])).stdout;
    expect(w).toMatch(/^state\s+waiting$/m);
    expect(w).toMatch(/^progress\s+0 B of 50 MB \(0 %\)$/m);
    expect(w).toContain('  - waits for Wi-Fi or Ethernet: 48 MB is over the 20 MB cellular cap');
    expect(w).toContain('  - paused while roaming on a cellular link');
    expect(w).toContain('  - the server ignores Range: an interruption restarts from zero');
    const f = (await runCli(['show', failed.id, ...sock])).stdout;
    expect(f).toMatch(/^error\s+CHECKSUM_MISMATCH: sha256 of the file does not match$/m);
  });

  it('accepts the short id that ls prints, and refuses an ambiguous one', async () => {
    const r = await runCli(['show', 'aaaa1111', ...sock]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(waiting.id);
    const amb = await runCli(['show', 'bbbb', ...sock]);
    expect(amb.code).toBe(2);
    expect(amb.stderr).toContain('ambiguous');
  });

  it('conditions are in words', async () => {
    const r = await runCli(['conditions', ...sock]);
    expect(r.stdout.split('\n')).toEqual([
      'network: cellular 4g via wwan0, metered, not roaming',
      'power: battery 62 %, not charging',
      'data plan: ok (123 MB of 1 GB)',
      'storage: 12 GB free',
      'sources: network networkmanager, modem modemmanager, power sysfs',
      '',
    ]);
  });

  it('pause, resume, cancel and rm act on the transfer and say what became of it', async () => {
    const t = makeTransfer({ id: 'cccc4444-0000-4000-8000-000000000004', state: 'running' });
    agent.transfers.set(t.id, t);
    expect((await runCli(['pause', 'cccc4444', ...sock])).stdout).toBe('cccc4444 is now paused\n');
    expect((await runCli(['resume', t.id, ...sock])).stdout).toBe('cccc4444 is now queued\n');
    expect((await runCli(['cancel', t.id, ...sock])).stdout).toBe('cccc4444 is now cancelled\n');
    const rm = await runCli(['rm', t.id, ...sock]);
    expect(rm).toEqual({ code: 0, stdout: `removed ${t.id}\n`, stderr: '' });
    expect(agent.transfers.has(t.id)).toBe(false);
    expect(agent.requests.at(-1)).toMatchObject({ method: 'DELETE', url: `/v1/transfers/${t.id}` });
  });

  it('add prints the new id with its state and reasons', async () => {
    const r = await runCli(['add', 'https://example.org/fw.bin', 'fw/fw.bin', ...sock]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^added [0-9a-f-]{36} \(waiting: waits for Wi-Fi or Ethernet/);
  });
});
