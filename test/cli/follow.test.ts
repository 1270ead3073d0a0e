// watch and add --wait against the stand-in agent's SSE stream: plain lines off a TTY, a redrawn
// bar on one, NDJSON with --json, and the exit status each way a followed transfer can end.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeAgent, makeTransfer, CONDITIONS, type FakeAgent } from './fake-agent.js';
import { runCli, startCli } from './run-cli.js';
import { waitFor } from '../support/wait.js';

let agent: FakeAgent;
let sock: string[];
beforeEach(async () => {
  agent = await startFakeAgent();
  sock = ['--socket', agent.socketPath];
});
afterEach(() => agent.close());

/** A clock that moves one second each time it is read: the views read it once per event. */
function steppingClock(): () => number {
  let t = 1_000_000;
  return () => (t += 1000);
}

async function createdByCli(): Promise<string> {
  await waitFor(() => agent.transfers.size === 1 && agent.subscribers() === 1, 5000, 'the CLI to subscribe and add');
  return [...agent.transfers.keys()][0]!;
}

describe('add --wait off a TTY', () => {
  it('prints one line per state change, few progress lines, and exits 0 when completed', async () => {
    const run = startCli(['add', 'https://example.org/fw.bin', 'fw/fw.bin', '--wait', ...sock], { now: steppingClock() });
    const id = await createdByCli();
    agent.update(id, { state: 'running', reasons: [] });
    agent.emit('transfer', makeTransfer({ state: 'running' })); // someone else's transfer: not shown
    for (let i = 1; i <= 12; i++) agent.update(id, { bytesTransferred: i * 1_000_000 });
    agent.update(id, { state: 'completed', bytesTransferred: 50_331_648 });
    const r = await run.done;
    expect(r.code).toBe(0);
    const short = id.slice(0, 8);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`added ${id}`);
    expect(lines[1]).toBe(`${short} waiting: waits for Wi-Fi or Ethernet: 50 MB is over the 20 MB cellular cap`);
    expect(lines[2]).toBe(`${short} running`);
    const progress = lines.filter((l) => l.startsWith(`${short} running `));
    // 12 progress events one (fake) second apart, at most one line per 5 s.
    expect(progress).toHaveLength(2);
    expect(progress[0]).toMatch(/^\w+ running 5 MB of 50 MB \(9 %\), 1 MB\/s, ETA 0:45$/);
    expect(lines.at(-1)).toBe(`${short} completed (50 MB)`);
    expect(lines.every((l) => !l.includes('\x1b'))).toBe(true);
    expect(r.stderr).toBe('');
  });

  it('exits 1 and prints the error when the transfer fails', async () => {
    const run = startCli(['add', 'https://example.org/fw.bin', 'fw/fw.bin', '--wait', ...sock]);
    const id = await createdByCli();
    agent.update(id, { state: 'failed', reasons: [], error: { code: 'NETWORK_ERROR', message: 'connection reset by peer' } });
    const r = await run.done;
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${id.slice(0, 8)} failed: NETWORK_ERROR: connection reset by peer`);
    expect(r.stderr).toBe('error NETWORK_ERROR: connection reset by peer\n');
  });

  it('exits 1 when the transfer is cancelled', async () => {
    const run = startCli(['add', 'https://example.org/fw.bin', '--wait', ...sock]);
    const id = await createdByCli();
    agent.update(id, { state: 'cancelled', reasons: [] });
    expect((await run.done).code).toBe(1);
  });

  it('does not subscribe-and-hang when the agent refuses the request', async () => {
    const r = await runCli(['add', 'https://example.org/fw.bin', '-H', 'If-Range: x', '--wait', ...sock]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('(field headers.If-Range)');
    await waitFor(() => agent.subscribers() === 0, 5000, 'the event stream to close');
  });
});

describe('watch', () => {
  it('watch ID ends at once, with its status, when the transfer already ended', async () => {
    const done = makeTransfer({ state: 'completed', bytesTransferred: 50_331_648 });
    agent.transfers.set(done.id, done);
    const r = await runCli(['watch', done.id.slice(0, 8), ...sock]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${done.id.slice(0, 8)} completed (50 MB)\n`);
  });

  it('watch --json prints one {"event","data"} object per line with the API transfers', async () => {
    const t = makeTransfer({ state: 'queued' });
    agent.transfers.set(t.id, t);
    const run = startCli(['watch', t.id, '--json', ...sock]);
    await waitFor(() => agent.subscribers() === 1 && run.output().includes('"queued"'), 5000, 'the first line');
    agent.update(t.id, { state: 'running' });
    const last = agent.update(t.id, { state: 'completed', bytesTransferred: t.totalBytes! });
    const r = await run.done;
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.event, l.data.state])).toEqual([
      ['transfer', 'queued'],
      ['transfer', 'running'],
      ['transfer', 'completed'],
    ]);
    expect(lines.at(-1).data).toEqual(last);
  });

  it('watch without ID shows unfinished transfers and conditions until interrupted (exit 130)', async () => {
    const a = makeTransfer({ state: 'running', bytesTransferred: 1000 });
    const old = makeTransfer({ state: 'completed' });
    agent.transfers.set(a.id, a).set(old.id, old);
    const ac = new AbortController();
    const run = startCli(['watch', ...sock], { signal: ac.signal });
    await waitFor(() => agent.subscribers() === 1 && run.output().includes(a.id.slice(0, 8)), 5000, 'the first line');
    agent.emit('conditions', { ...CONDITIONS, network: { ...CONDITIONS.network, roaming: true } });
    await waitFor(() => run.output().includes('conditions:'), 5000, 'the conditions line');
    ac.abort();
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.stdout).toContain('conditions: cellular 4g via wwan0, metered, roaming;');
    expect(r.stdout).not.toContain(old.id.slice(0, 8));
  });

  it('exits 3 when the agent closes the event stream before the transfer ends', async () => {
    const t = makeTransfer({ state: 'running' });
    agent.transfers.set(t.id, t);
    const run = startCli(['watch', t.id, ...sock]);
    await waitFor(() => agent.subscribers() === 1 && run.output() !== '', 5000, 'the first line');
    agent.endStreams();
    const r = await run.done;
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('the agent closed the event stream');
    expect(r.stderr).toContain(agent.socketPath);
  });

  it('on a TTY redraws a bar in place with rate and ETA', async () => {
    const t = makeTransfer({ state: 'running', totalBytes: 10_000_000 });
    agent.transfers.set(t.id, t);
    const run = startCli(['watch', t.id, ...sock], { tty: true, columns: 100, now: steppingClock() });
    await waitFor(() => agent.subscribers() === 1 && run.output() !== '', 5000, 'the first bar');
    for (let i = 1; i <= 4; i++) agent.update(t.id, { bytesTransferred: i * 1_000_000 });
    agent.update(t.id, { state: 'completed', bytesTransferred: 10_000_000 });
    const r = await run.done;
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('\x1b[1F\x1b[J'); // moved back over the previous bar
    expect(r.stdout).toMatch(/\[#{12}-{18}\]  40 %  4 MB of 10 MB  1 MB\/s  ETA 0:06  running/);
    // A state change is printed for good above the bar, then the bar is drawn again.
    const final = r.stdout.split('\x1b[1F\x1b[J').at(-1)!;
    const short = t.id.slice(0, 8);
    expect(final).toBe(`${short} completed (10 MB)\n${short} [${'#'.repeat(30)}] 100 %  10 MB of 10 MB  completed\n`);
  });
});
