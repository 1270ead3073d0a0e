// ferryctl against the real daemon: the commands an operator types, their output and exit codes.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, FERRYCTL } from '../support/agent.js';
import { startOrigin, type Origin } from '../support/origin.js';

const run = promisify(execFile);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('ferryctl with ferryd', () => {
  const agent = new AgentProcess();
  let origin: Origin;
  const ctl = (...args: string[]) =>
    run(process.execPath, [FERRYCTL, ...args], { env: { ...process.env, FERRY_SOCKET: agent.socket } }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  beforeAll(async () => {
    origin = await startOrigin();
    await agent.start();
  }, 30_000);
  afterAll(async () => {
    await agent.stop();
    await origin.close();
  });

  it('add --wait downloads, verifies and exits 0; ls and show describe the result', async () => {
    const body = randomBytes(300_000);
    origin.file('/fw.bin', body);
    const added = await ctl('add', origin.url('/fw.bin'), 'fw/fw.bin', '--sha256', sha256(body), '--wait');
    expect(added.code).toBe(0);
    expect(sha256(readFileSync(join(agent.root, 'fw/fw.bin')))).toBe(sha256(body));
    const ls = await ctl('ls');
    expect(ls.stdout).toMatch(/completed/);
    const list = JSON.parse((await ctl('ls', '--json')).stdout);
    const id = list.transfers[0].id as string;
    const show = await ctl('show', id);
    expect(show.stdout).toMatch(/completed/);
    expect((await ctl('rm', id)).code).toBe(0);
  });

  it('shows why a transfer waits, in words', async () => {
    const r = await agent.api('POST', '/v1/transfers', { url: 'http://127.0.0.1:1/refused', path: 'w/x', retry: { initialDelayS: 3600, maxAttempts: 5 } });
    await agent.waitTransfer(r.body.id, (t) => t.state === 'waiting', 10_000, 'backoff');
    const show = await ctl('show', r.body.id);
    expect(show.stdout).toMatch(/backoff|attempt/i);
    await ctl('rm', r.body.id);
  });

  it('exits 1 with the error code when the agent refuses, 2 on usage errors, 3 when nothing listens', async () => {
    const refused = await ctl('add', 'ftp://example.invalid/x', 'x');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/UNSUPPORTED_SCHEME/);
    expect((await ctl('frobnicate')).code).toBe(2);
    const gone = await run(process.execPath, [FERRYCTL, '--socket', join(agent.dir.path, 'nope.sock'), 'health']).catch((e) => e);
    expect(gone.code).toBe(3);
  });
});
