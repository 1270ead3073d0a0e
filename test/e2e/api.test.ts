// The control API of the real daemon over its Unix socket (API.md): errors, ownership, limits, lifecycle.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess, FERRYD } from '../support/agent.js';
import { waitFor } from '../support/wait.js';

const run = promisify(execFile);

describe('ferryd control API', () => {
  const agent = new AgentProcess({ transfers: { perClientLimit: 3 } });
  beforeAll(() => agent.start(), 30_000);
  afterAll(() => agent.stop());

  it('answers health with its version', async () => {
    const r = await agent.api('GET', '/v1/health');
    expect(r).toMatchObject({ status: 200, body: { status: 'ok', version: expect.any(String) } });
  });

  it('serves the conditions snapshot with its sources', async () => {
    const r = await agent.api('GET', '/v1/conditions');
    expect(r.body).toMatchObject({ network: { kind: 'ethernet', metered: false }, power: { source: 'external' }, sources: expect.any(Object) });
    expect(r.body.storage.freeBytes).toBeGreaterThan(0);
  });

  it.each([
    [{ url: 'http://127.0.0.1:1/x', path: 'a', colour: 'red' }, 400, 'UNKNOWN_FIELD', 'colour'],
    [{ url: 'ftp://127.0.0.1/x', path: 'a' }, 400, 'UNSUPPORTED_SCHEME', 'url'],
    [{ url: 'http://127.0.0.1:1/x', path: '../../etc/passwd' }, 400, 'PATH_OUTSIDE_ROOT', 'path'],
    [{ url: 'http://127.0.0.1:1/x', path: 'a', headers: { Range: 'bytes=0-' } }, 400, 'RESERVED_HEADER', 'headers.Range'],
    [{ url: 'http://127.0.0.1:1/x', path: 'a', headers: { 'x-a': 'b\r\nx-evil: 1' } }, 400, 'INVALID_HEADER', undefined],
    [{ url: 'http://127.0.0.1:1/x', path: 'a', preferences: 'always' }, 400, 'INVALID_FIELD', 'preferences'],
    [{ url: 'http://127.0.0.1:1/x', method: 'POST', path: 'a' }, 400, 'INVALID_FIELD', 'direction'],
    [{ url: 'http://127.0.0.1:1/x', method: 'PUT', path: 'missing.bin' }, 400, 'FILE_NOT_FOUND', 'path'],
  ])('rejects a bad request %j with %i %s naming the field', async (body, status, code, field) => {
    const r = await agent.api('POST', '/v1/transfers', body);
    expect(r.status).toBe(status);
    expect(r.body.error.code).toBe(code);
    if (field) expect(r.body.error.field).toBe(field);
    expect(r.body.error.message).toEqual(expect.any(String));
  });

  it('rejects too many headers', async () => {
    const headers = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`x-h${i}`, 'v']));
    const r = await agent.api('POST', '/v1/transfers', { url: 'http://127.0.0.1:1/x', path: 'a', headers });
    expect(r.body.error.code).toBe('TOO_MANY_HEADERS');
  });

  it('answers 404 for an unknown id and for an unknown route', async () => {
    expect((await agent.api('GET', '/v1/transfers/nope')).status).toBe(404);
    expect((await agent.api('GET', '/v1/nothing')).body.error.code).toBe('NOT_FOUND');
  });

  it('refuses a body over the size limit with 413, read to its end so the client\'s write never breaks', async () => {
    const r = await agent.api('POST', '/v1/transfers', { url: 'http://127.0.0.1:1/x', path: 'a', tag: 'x'.repeat(2 * 1024 * 1024) });
    expect(r.status).toBe(413);
    // The agent used to close right after its answer: the client's write of the rest failed with EPIPE,
    // sometimes before it could read the 413.
    const data = Buffer.alloc(2 * 1024 * 1024, 0x20);
    let errors = 0;
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      await new Promise<void>((resolve) => {
        const req = request({ socketPath: agent.socket, method: 'POST', path: '/v1/transfers', agent: false, headers: { 'content-type': 'application/json', 'content-length': data.length } }, (res) => {
          statuses.push(res.statusCode!);
          res.resume();
          res.on('end', () => setTimeout(resolve, 5)); // an error right after the answer counts too
        });
        req.on('error', () => {
          errors++;
          resolve();
        });
        req.end(data);
      });
    }
    expect({ errors, statuses: [...new Set(statuses)] }).toEqual({ errors: 0, statuses: [413] });
  });

  it('refuses JSON that does not parse', async () => {
    const r = await new Promise<{ status: number; body: any }>((resolve, reject) => {
      const req = request({ socketPath: agent.socket, method: 'POST', path: '/v1/transfers', headers: { 'content-type': 'application/json' } }, (res) => {
        let t = '';
        res.on('data', (c) => (t += c));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(t) }));
      });
      req.on('error', reject);
      req.end('{"url":');
    });
    expect(r).toMatchObject({ status: 400, body: { error: { code: 'INVALID_JSON' } } });
  });

  it('queues, pauses, resumes, cancels and removes, enforcing the per-client quota', async () => {
    // Port 1 refuses connections: the transfer retries with backoff, which is all this test needs.
    const mk = (n: number) => agent.api('POST', '/v1/transfers', { url: `http://127.0.0.1:1/f${n}`, path: `q/f${n}`, retry: { initialDelayS: 3600 } });
    const created = [await mk(1), await mk(2), await mk(3)];
    for (const c of created) expect(c.status).toBe(201);
    const over = await mk(4);
    expect(over).toMatchObject({ status: 429, body: { error: { code: 'QUOTA_EXCEEDED' } } });
    const id = created[0]!.body.id as string;
    expect((await agent.api('POST', `/v1/transfers/${id}/pause`)).body.state).toBe('paused');
    const resumed = await agent.api('POST', `/v1/transfers/${id}/resume`);
    expect(resumed.body.state).not.toBe('paused');
    expect((await agent.api('POST', `/v1/transfers/${id}/cancel`)).body.state).toBe('cancelled');
    expect((await agent.api('POST', `/v1/transfers/${id}/pause`)).body.error.code).toBe('WRONG_STATE');
    const list = await agent.api('GET', '/v1/transfers');
    expect(list.body.transfers).toHaveLength(3);
    for (const c of created) expect((await agent.api('DELETE', `/v1/transfers/${c.body.id}`)).status).toBe(204);
    expect((await agent.api('GET', '/v1/transfers')).body.transfers).toHaveLength(0);
  });

  it('streams transfer events over SSE', async () => {
    const events: string[] = [];
    const req = request({ socketPath: agent.socket, path: '/v1/events' }, (res) => {
      expect(res.headers['content-type']).toMatch(/text\/event-stream/);
      res.on('data', (c: Buffer) => events.push(c.toString()));
    });
    req.end();
    await waitFor(() => events.join('').includes('event: conditions'), 5000, 'conditions event');
    const r = await agent.api('POST', '/v1/transfers', { url: 'http://127.0.0.1:1/sse', path: 'sse.bin', retry: { initialDelayS: 3600 } });
    await waitFor(() => events.join('').includes(r.body.id), 5000, 'transfer event');
    req.destroy();
    await agent.api('DELETE', `/v1/transfers/${r.body.id}`);
  });

  it('sends one transfer\'s events in the order its changes were made, seq rising (no stale running → queued)', async () => {
    let raw = '';
    const req = request({ socketPath: agent.socket, path: '/v1/events' }, (res) => res.on('data', (c: Buffer) => (raw += c.toString())));
    req.end();
    await waitFor(() => raw.includes('event: conditions'), 5000, 'stream open');
    // Nothing listens on port 1: the attempt fails at once and backs off, a quick run of state changes.
    const r = await agent.api('POST', '/v1/transfers', { url: 'http://127.0.0.1:1/order', path: 'order.bin', retry: { initialDelayS: 3600 } });
    const mine = () =>
      raw
        .split('\n\n')
        .filter((b) => b.startsWith('event: transfer\n'))
        .map((b) => JSON.parse(b.slice(b.indexOf('data: ') + 6)))
        .filter((t) => t.id === r.body.id);
    await waitFor(() => mine().some((t) => t.state === 'waiting' && t.lastError), 10_000, 'the failed attempt');
    req.destroy();
    const seen = mine();
    const seqs = seen.map((t) => t.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seen.map((t) => t.state)).toEqual(['queued', 'running', 'waiting']);
    expect(r.body.seq).toBe(seen[1]!.seq); // the POST answers with the decided state
    await agent.api('DELETE', `/v1/transfers/${r.body.id}`);
  });

  it('serves Prometheus metrics', async () => {
    const r = await agent.api('GET', '/v1/metrics');
    expect(r.status).toBe(200);
    expect(r.body).toMatch(/^ferry_transfers\{state="queued"\} \d+$/m);
  });

  it('keeps its config when SIGHUP brings an invalid file, and takes a valid one', async () => {
    writeFileSync(agent.configFile, '{"policy": {"concurrency": "lots"}}');
    agent.child!.kill('SIGHUP');
    await waitFor(() => agent.logs.includes('config reload refused'), 5000, 'refusal log line');
    expect((await agent.api('GET', '/v1/health')).status).toBe(200);
    agent.writeConfig({ transfers: { perClientLimit: 3 }, log: { level: 'debug' } });
    agent.child!.kill('SIGHUP');
    await waitFor(() => agent.logs.includes('config reloaded'), 5000, 'reload log line');
  });
});

describe('ferryd lifecycle', () => {
  it('--check-config prints every error with its path and exits 1, and 0 for a valid file', async () => {
    const dir = new AgentProcess();
    const bad = join(dir.dir.path, 'bad.json');
    writeFileSync(bad, JSON.stringify({ policy: { concurrency: 0 }, nope: true }));
    const r = await run(process.execPath, [FERRYD, '--check-config', bad]).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/policy\.concurrency: /);
    expect(r.stderr).toMatch(/nope: unknown key/);
    const cross = join(dir.dir.path, 'cross.json');
    writeFileSync(cross, JSON.stringify({ devices: [{ id: 'gps', transport: { kind: 'serial' }, protocol: 'lines' }] }));
    const c = await run(process.execPath, [FERRYD, '--check-config', cross]).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(/devices\[0\]: a serial transport needs "path"/);
    const good = await run(process.execPath, [FERRYD, '--check-config', 'config/ferry.example.json']);
    expect(good.stdout).toMatch(/valid/);
    dir.dir.cleanup();
  });

  it('exits 0 within 10 s of SIGTERM and removes its socket', async () => {
    const agent = new AgentProcess();
    await agent.start();
    const t0 = Date.now();
    const code = await agent.kill('SIGTERM');
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    agent.dir.cleanup();
  });
});
