// watch and add --wait against the real ferryd's event stream: plain lines off a TTY, a redrawn bar on
// one, NDJSON with --json, and the exit status each way a followed transfer can end. The agent sees a
// metered 4G link on battery (cli-agent.ts): transfers allowed on cellular run, others wait.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiTransfer } from '../../src/cli/client.js';
import { startCliAgent, type CliAgent } from './cli-agent.js';
import { runCli, startCli } from './run-cli.js';
import { waitFor } from '../support/wait.js';

const ANY_NETWORK = { preferences: 'allowCellularAndBattery' };
let ctl: CliAgent;
let sock: string[];
beforeAll(async () => {
  ctl = await startCliAgent();
  sock = ctl.sock;
  ctl.origin.file('/small.bin', randomBytes(1000));
  // ~2 s at 100 kB/s: several progress events.
  ctl.origin.file('/paced.bin', randomBytes(200_000), { throttleBytesPerSec: 100_000 });
  ctl.origin.file('/slow.bin', randomBytes(50_000), { throttleBytesPerSec: 10 });
}, 30_000);
afterAll(() => ctl?.close());

/** A clock that moves one second each time it is read: the views read it once per event. */
function steppingClock(): () => number {
  let t = 1_000_000;
  return () => (t += 1000);
}

const addedId = (output: string) => /^added ([0-9a-f-]{36})$/m.exec(output)?.[1];

describe('add --wait off a TTY', () => {
  it('prints one line per state change, throttled progress lines, and exits 0 when completed', async () => {
    const r = await runCli(['add', ctl.origin.url('/paced.bin'), 'fw/paced.bin', '--preferences', 'allowCellularAndBattery', '--wait', ...sock], { now: steppingClock() });
    const id = addedId(r.stdout)!;
    const short = id.slice(0, 8);
    const lines = r.stdout.trimEnd().split('\n');
    const states = lines.slice(1, -1).filter((l) => !/ running [\d.]+ [kM]?B of /.test(l));
    const progress = lines.filter((l) => / running [\d.]+ [kM]?B of /.test(l));
    expect({ code: r.code, stderr: r.stderr, first: lines[0], last: lines.at(-1), escapes: r.stdout.includes('\x1b') }).toEqual({
      code: 0, stderr: '', first: `added ${id}`, last: `${short} completed (200 kB)`, escapes: false,
    });
    // Each line is a state change (running appears) or a progress line, and progress is at most one per 5 (fake) seconds.
    expect(states).toContain(`${short} running`);
    for (const l of progress) expect(l).toMatch(new RegExp(`^${short} running [\\d.]+ kB of 200 kB \\(\\d+ %\\), .+/s, ETA \\d+:\\d\\d$`));
    expect(new Set(progress).size).toBe(progress.length);
  });

  it('exits 1 and prints the error when the transfer fails', async () => {
    const r = await runCli(['add', ctl.origin.url('/small.bin'), 'f/small.bin', '--preferences', 'allowCellularAndBattery', '--sha256', 'ab'.repeat(32), '--wait', ...sock]);
    const short = addedId(r.stdout)!.slice(0, 8);
    expect({ code: r.code, failedLine: r.stdout.includes(`${short} failed: CHECKSUM_MISMATCH: sha256 of the downloaded file is`), stderr: r.stderr }).toEqual({
      code: 1, failedLine: true, stderr: expect.stringMatching(/^error CHECKSUM_MISMATCH: sha256 of the downloaded file is [0-9a-f]{64}, expected (ab){32}\n$/),
    });
  });

  it('exits 1 when the transfer is cancelled', async () => {
    const run = startCli(['add', ctl.origin.url('/slow.bin'), 'c/slow.bin', '--preferences', 'allowCellularAndBattery', '--wait', ...sock]);
    const id = await waitFor(() => addedId(run.output()), 10_000, 'the added line');
    await ctl.until(id, (t) => t.state === 'running', 'running');
    await ctl.agent.api('POST', `/v1/transfers/${id}/cancel`);
    const r = await run.done;
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 1, stderr: 'error CANCELLED: transfer cancelled\n' });
  });

  it('does not subscribe-and-hang when the agent refuses the request', async () => {
    const r = await runCli(['add', ctl.origin.url('/small.bin'), 'r/small.bin', '-H', 'If-Range: x', '--wait', ...sock]);
    expect(r).toMatchObject({ code: 1, stderr: expect.stringContaining('(field headers.If-Range)') });
  });
});

describe('watch', () => {
  it('watch ID ends at once, with its status, when the transfer already ended', async () => {
    const t = await ctl.add({ url: ctl.origin.url('/small.bin'), path: 'done/small.bin', ...ANY_NETWORK });
    await ctl.until(t.id, (x) => x.state === 'completed', 'completed');
    const r = await runCli(['watch', t.id.slice(0, 8), ...sock]);
    expect(r).toEqual({ code: 0, stdout: `${t.id.slice(0, 8)} completed (1 kB)\n`, stderr: '' });
  });

  it('watch --json prints one {"event","data"} object per line with the API transfers', async () => {
    const t = await ctl.add({ url: ctl.origin.url('/paced.bin'), path: 'json/paced.bin', ...ANY_NETWORK });
    const r = await runCli(['watch', t.id, '--json', ...sock]);
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { event: string; data: ApiTransfer });
    const final = (await ctl.agent.api('GET', `/v1/transfers/${t.id}`)).body;
    expect({
      code: r.code,
      events: [...new Set(lines.map((l) => `${l.event} ${l.data.id}`))],
      last: lines.at(-1)?.data,
    }).toEqual({ code: 0, events: [`transfer ${t.id}`], last: { ...final, state: 'completed' } });
  });

  it('watch without ID shows unfinished transfers and conditions until interrupted (exit 130)', async () => {
    const a = await ctl.add({ url: ctl.origin.url('/small.bin'), path: 'w/a.bin' });
    const old = await ctl.add({ url: ctl.origin.url('/small.bin'), path: 'w/old.bin', ...ANY_NETWORK });
    await ctl.until(old.id, (x) => x.state === 'completed', 'completed');
    const ac = new AbortController();
    const run = startCli(['watch', ...sock], { signal: ac.signal });
    await waitFor(() => run.output().includes(a.id.slice(0, 8)) && run.output().includes('conditions:'), 5000, 'the transfer and conditions lines');
    ac.abort();
    const r = await run.done;
    expect({ code: r.code, conditions: r.stdout.includes('conditions: cellular 4g via wwan0, metered, not roaming;'), old: r.stdout.includes(old.id.slice(0, 8)) }).toEqual({
      code: 130, conditions: true, old: false,
    });
  });

  it('on a TTY redraws a bar in place and ends with the full bar', async () => {
    const t = await ctl.add({ url: ctl.origin.url('/paced.bin'), path: 'tty/paced.bin', ...ANY_NETWORK });
    const run = startCli(['watch', t.id, ...sock], { tty: true, columns: 100, now: steppingClock() });
    const r = await run.done;
    const short = t.id.slice(0, 8);
    const final = r.stdout.split('\x1b[1F\x1b[J').at(-1);
    // A state change is printed for good above the bar, then the bar is drawn again.
    expect({ code: r.code, redrawn: r.stdout.includes('\x1b[1F\x1b[J'), final }).toEqual({
      code: 0, redrawn: true, final: `${short} completed (200 kB)\n${short} [${'#'.repeat(30)}] 100 %  200 kB of 200 kB  completed\n`,
    });
  });

  it('draws rate and ETA in the bar while running', async () => {
    const t = await ctl.add({ url: ctl.origin.url('/paced.bin'), path: 'tty/rate.bin', ...ANY_NETWORK });
    const r = await runCli(['watch', t.id, ...sock], { tty: true, columns: 100, now: steppingClock() });
    expect(r.stdout).toMatch(/\[#*-+\] +\d+ % +[\d.]+ kB of 200 kB +[\d.]+ [kM]?B\/s +ETA \d+:\d\d +running/);
  });
});

describe('watch when the agent goes away', () => {
  it('exits 3 naming the socket when the agent goes away before the transfer ends', async () => {
    const own = await startCliAgent();
    own.origin.file('/slow.bin', randomBytes(50_000), { throttleBytesPerSec: 10 });
    try {
      const t = await own.add({ url: own.origin.url('/slow.bin'), path: 'slow.bin', ...ANY_NETWORK });
      const run = startCli(['watch', t.id, ...own.sock]);
      await waitFor(() => run.output() !== '', 5000, 'the first line');
      await own.agent.kill('SIGTERM');
      const r = await run.done;
      // ferryd's shutdown ends the open streams first: the CLI says the stream was closed, and where.
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 3, stderr: `ferryctl: cannot reach ferryd at ${own.agent.socket}: the agent closed the event stream\n` });
    } finally {
      await own.close();
    }
  });
});
