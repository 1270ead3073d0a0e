// ferryctl's one-shot commands against the real ferryd: exit statuses, --json, socket discovery, human
// output, error bodies and usage errors. The agent sees a metered 4G link on battery (cli-agent.ts), so
// a default transfer waits for Wi-Fi, and one allowed on cellular runs.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SOCKET, resolveSocketPath } from '../../src/cli/args.js';
import type { ApiTransfer } from '../../src/cli/client.js';
import { startCliAgent, type CliAgent } from './cli-agent.js';
import { runCli } from './run-cli.js';
import { makeTempDir } from '../support/tmp.js';

const VERSION = (JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string }).version;
const NEEDS_WIFI = 'waits for Wi-Fi or Ethernet: its preferences do not allow cellular';
const UNMETERED = 'waits for an unmetered network (constraint unmetered)';

let ctl: CliAgent;
let sock: string[];
let waiting: ApiTransfer;
let running: ApiTransfer;
let failed: ApiTransfer;
const settled = (t: ApiTransfer) => t.totalBytes !== null && t.reasons.length > 0;

beforeAll(async () => {
  ctl = await startCliAgent();
  sock = ctl.sock;
  ctl.origin.file('/small.bin', randomBytes(1000));
  // 10 B/s: stays running for the whole file.
  ctl.origin.file('/slow.bin', randomBytes(50_000), { throttleBytesPerSec: 10 });
  const w = await ctl.add({ url: ctl.origin.url('/small.bin'), path: 'w/small.bin', constraints: { unmetered: true } });
  const r = await ctl.add({ url: ctl.origin.url('/slow.bin'), path: 'logs/today.tar', preferences: 'allowCellularAndBattery' });
  const f = await ctl.add({ url: ctl.origin.url('/small.bin'), path: 'f/small.bin', preferences: 'allowCellularAndBattery', sha256: 'ab'.repeat(32) });
  waiting = await ctl.until(w.id, (t) => t.state === 'waiting' && settled(t) && t.reasons.length === 2, 'waiting with both reasons');
  running = await ctl.until(r.id, (t) => t.state === 'running', 'running');
  failed = await ctl.until(f.id, (t) => t.state === 'failed', 'failed');
}, 60_000);
afterAll(() => ctl?.close());

describe('exit statuses', () => {
  it('exits 0 and prints the health line when the agent answers', async () => {
    const r = await runCli(['health', ...sock]);
    expect(r).toEqual({ code: 0, stdout: `ferryd ok, version ${VERSION} (socket ${ctl.agent.socket})\n`, stderr: '' });
  });

  it('exits 1 and prints "error CODE: message" when the agent answers an error', async () => {
    const r = await runCli(['show', 'no-such-id', ...sock]);
    expect(r).toMatchObject({ code: 1, stderr: expect.stringMatching(/^error NOT_FOUND: .*no-such-id.*\n$/) });
  });

  it('prints the field of an error body next to its message', async () => {
    const r = await runCli(['add', ctl.origin.url('/small.bin'), 'a.bin', '-H', 'Range: bytes=0-', ...sock]);
    expect(r).toMatchObject({ code: 1, stderr: 'error RESERVED_HEADER: header Range is reserved: the agent sets it to resume transfers (field headers.Range)\n' });
  });

  it('exits 1 on a wrong-state action (409)', async () => {
    const r = await runCli(['pause', failed.id, ...sock]);
    expect(r).toMatchObject({ code: 1, stderr: expect.stringMatching(/^error WRONG_STATE: /) });
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
  ])('exits 2 with a message and a short usage for %j, asking the agent nothing', async (argv, message) => {
    const r = await runCli([...argv, ...sock]);
    expect(r).toMatchObject({ code: 2, stderr: expect.stringContaining(message) });
    expect(r.stderr).toMatch(/usage: ferryctl/);
    const { body } = await ctl.agent.api<{ transfers: ApiTransfer[] }>('GET', '/v1/transfers');
    expect(body.transfers.filter((t) => t.url.includes('x/y'))).toEqual([]);
  });

  it('exits 3 naming the socket path when nothing is there', async () => {
    const dir = makeTempDir();
    try {
      const path = join(dir.path, 'absent.sock');
      const r = await runCli(['ls', '--socket', path]);
      expect(r).toMatchObject({ code: 3, stderr: expect.stringContaining(`${path}: no socket there`) });
    } finally {
      dir.cleanup();
    }
  });

  it.each([[['help']], [['--help']], [['add', '--help']], [['help', 'watch']], [['-h', 'ls']]])('prints help on stdout with exit 0 for %j', async (argv) => {
    const r = await runCli(argv);
    expect(r).toMatchObject({ code: 0, stdout: expect.stringMatching(/usage: ferryctl/) });
  });

  it('lists every option of a command in its help', async () => {
    expect((await runCli(['add', '--help'])).stdout).toContain('--battery-not-low');
  });
});

describe('socket discovery', () => {
  it('uses --socket before $FERRY_SOCKET', async () => {
    const r = await runCli(['health', ...sock], { env: { FERRY_SOCKET: '/nonexistent/ferry.sock' } });
    expect(r.code).toBe(0);
  });

  it('uses $FERRY_SOCKET when there is no --socket', async () => {
    expect((await runCli(['health'], { env: { FERRY_SOCKET: ctl.agent.socket } })).code).toBe(0);
  });

  it('names the $FERRY_SOCKET path it tried when nothing answers there', async () => {
    const r = await runCli(['health'], { env: { FERRY_SOCKET: '/nonexistent/env.sock' } });
    expect(r).toMatchObject({ code: 3, stderr: expect.stringContaining('/nonexistent/env.sock') });
  });

  it('falls back to /run/ferry/ferry.sock', () => {
    expect([DEFAULT_SOCKET, resolveSocketPath(undefined, {})]).toEqual(['/run/ferry/ferry.sock', '/run/ferry/ferry.sock']);
  });

  it('accepts global options before the command', async () => {
    const r = await runCli(['--socket', ctl.agent.socket, '--json', 'health']);
    expect(JSON.parse(r.stdout)).toEqual({ status: 'ok', version: VERSION });
  });
});

describe('--json', () => {
  it('ls prints the API list', async () => {
    const ls = JSON.parse((await runCli(['ls', '--json', ...sock])).stdout) as { transfers: ApiTransfer[] };
    expect(ls.transfers.map((t) => t.id)).toEqual(expect.arrayContaining([waiting.id, running.id, failed.id]));
  });

  it('show prints the API transfer', async () => {
    const api = (await ctl.agent.api('GET', `/v1/transfers/${waiting.id}`)).body;
    expect(JSON.parse((await runCli(['show', waiting.id, '--json', ...sock])).stdout)).toEqual(api);
  });

  it('conditions prints the API snapshot', async () => {
    const shown = JSON.parse((await runCli(['conditions', '--json', ...sock])).stdout);
    const { storage, ...rest } = (await ctl.agent.api('GET', '/v1/conditions')).body;
    expect(shown).toMatchObject({ ...rest, storage: { freeBytes: expect.any(Number), low: storage.low } });
  });

  it('ls --state filters', async () => {
    const filtered = JSON.parse((await runCli(['ls', '--json', '--state', 'failed', ...sock])).stdout) as { transfers: ApiTransfer[] };
    expect(filtered.transfers.map((t) => t.id)).toEqual([failed.id]);
  });

  it('prints the API error body on stdout and exits 1', async () => {
    const r = await runCli(['show', 'nope', '--json', ...sock]);
    const api = (await ctl.agent.api('GET', '/v1/transfers/nope')).body;
    expect({ code: r.code, body: JSON.parse(r.stdout) }).toEqual({ code: 1, body: api });
  });

  it('sends what the user set, with the names API.md uses', async () => {
    mkdirSync(join(ctl.agent.root, 'logs'), { recursive: true });
    writeFileSync(join(ctl.agent.root, 'logs/x.tar'), randomBytes(100));
    const sha = 'AB'.repeat(32);
    const r = await runCli(
      ['add', ctl.origin.url('/up'), '--upload', 'logs/x.tar', '--protocol', 'tus', '-H', 'x-token: abc',
        '--preferences', 'allowcellular', '--unmetered', '--battery-not-low', '--user-initiated', '--sha256', sha,
        '--tag', 'nightly', '--window', 'night', '--json', ...sock],
    );
    const created = JSON.parse(r.stdout) as ApiTransfer;
    await ctl.agent.api('DELETE', `/v1/transfers/${created.id}`);
    expect(created).toMatchObject({
      url: ctl.origin.url('/up'),
      method: 'PUT',
      direction: 'upload',
      path: 'logs/x.tar',
      protocol: 'tus',
      preferences: 'allowCellular',
      constraints: { unmetered: true, batteryNotLow: true, charging: false },
      userInitiated: true,
      tag: 'nightly',
      window: 'night',
    });
  });
});

describe('human output', () => {
  it('ls shows an aligned table with short ids, percent, human sizes and reason messages', async () => {
    const r = await runCli(['ls', ...sock]);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+STATE\s+PROGRESS\s+SIZE\s+PATH\s+REASONS$/);
    expect(lines.find((l) => l.startsWith(`${waiting.id.slice(0, 8)} `))).toMatch(new RegExp(`^\\S+\\s+waiting\\s+0 %\\s+1 kB\\s+w/small\\.bin\\s+${NEEDS_WIFI}; ${UNMETERED.replace(/[()]/g, '\\$&')}$`));
    expect(lines.find((l) => l.startsWith(`${running.id.slice(0, 8)} `))).toMatch(/^\S+\s+running\s+\d+ %\s+50 kB\s+logs\/today\.tar$/);
    expect(lines.find((l) => l.startsWith(`${failed.id.slice(0, 8)} `))).toMatch(/failed\s+100 %\s+1 kB\s+f\/small\.bin\s+CHECKSUM_MISMATCH: sha256 of the downloaded file is/);
    // Aligned: the STATE column starts at the same offset on every line.
    const offsets = new Set(lines.map((l) => l.search(/(STATE|waiting|running|failed|completed|queued|paused|cancelled)/)));
    expect(offsets.size).toBe(1);
  });

  it('show lists state, progress and each reason message', async () => {
    const w = (await runCli(['show', waiting.id, ...sock])).stdout;
    expect(w).toMatch(new RegExp(`^state\\s+waiting\\n[^]*^progress\\s+0 B of 1 kB \\(0 %\\)\\n[^]*  - ${NEEDS_WIFI}\\n  - ${UNMETERED.replace(/[()]/g, '\\$&')}\\n`, 'm'));
  });

  it('show prints the error of a failed transfer', async () => {
    const f = (await runCli(['show', failed.id, ...sock])).stdout;
    expect(f).toMatch(/^error\s+CHECKSUM_MISMATCH: sha256 of the downloaded file is [0-9a-f]{64}, expected (ab){32}$/m);
  });

  it('accepts the short id that ls prints', async () => {
    const r = await runCli(['show', waiting.id.slice(0, 8), ...sock]);
    expect(r).toMatchObject({ code: 0, stdout: expect.stringContaining(waiting.id) });
  });

  it('refuses an ambiguous short id', async () => {
    // Ids are random: add waiting transfers until two share a first character (at most 17 by pigeonhole).
    const extra: string[] = [];
    const byFirst = new Map<string, number>();
    const { body } = await ctl.agent.api<{ transfers: ApiTransfer[] }>('GET', '/v1/transfers');
    for (const t of body.transfers) byFirst.set(t.id[0]!, (byFirst.get(t.id[0]!) ?? 0) + 1);
    while (![...byFirst.values()].some((n) => n > 1)) {
      const t = await ctl.add({ url: ctl.origin.url('/small.bin'), path: `amb/${extra.length}.bin` });
      extra.push(t.id);
      byFirst.set(t.id[0]!, (byFirst.get(t.id[0]!) ?? 0) + 1);
    }
    const prefix = [...byFirst.entries()].find(([, n]) => n > 1)![0];
    const amb = await runCli(['show', prefix, ...sock]);
    for (const id of extra) await ctl.agent.api('DELETE', `/v1/transfers/${id}`);
    expect(amb).toMatchObject({ code: 2, stderr: expect.stringContaining(`id '${prefix}' is ambiguous`) });
  });

  it('conditions are in words', async () => {
    const r = await runCli(['conditions', ...sock]);
    expect(r.stdout).toMatch(
      /^network: cellular 4g via wwan0, metered, not roaming\npower: battery 62 %, not charging\ndata plan: ok \(0 B used, no limit\)\nstorage: [\d.]+ [kMGT]?B free\nsources: network config, power config, dataPlan config, storage statvfs\n$/,
    );
  });

  it('pause, resume, cancel and rm act on the transfer and say what became of it', async () => {
    const t = await ctl.add({ url: ctl.origin.url('/small.bin'), path: 'act/small.bin' });
    const short = t.id.slice(0, 8);
    const said = [
      (await runCli(['pause', short, ...sock])).stdout,
      (await runCli(['resume', t.id, ...sock])).stdout,
      (await runCli(['cancel', t.id, ...sock])).stdout,
      (await runCli(['rm', t.id, ...sock])).stdout,
    ];
    const gone = await ctl.agent.api('GET', `/v1/transfers/${t.id}`);
    expect({ said, gone: gone.status }).toEqual({
      said: [`${short} is now paused\n`, `${short} is now queued\n`, `${short} is now cancelled\n`, `removed ${t.id}\n`],
      gone: 404,
    });
  });

  it('add prints the new id with its state and reasons', async () => {
    const r = await runCli(['add', ctl.origin.url('/small.bin'), 'fw/fw.bin', ...sock]);
    expect(r.stdout).toMatch(new RegExp(`^added [0-9a-f-]{36} \\(waiting: ${NEEDS_WIFI}`));
  });
});
