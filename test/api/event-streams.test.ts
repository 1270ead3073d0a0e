// Event streams of the real agent (issue 9): caps per client and in total (429 TOO_MANY_STREAMS), and 50
// clients that never read during 1 000 enqueue+delete are dropped while the agent's memory stays bounded.
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { request } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { AgentProcess } from '../support/agent.js';
import { waitFor } from '../support/wait.js';

function rssMiB(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return Math.round(kb / 102.4) / 10;
}

/** Opens an event stream and answers its status (the stream stays open until `close`). */
function openStream(socket: string): Promise<{ status: number; body: string; close(): void }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, path: '/v1/events' }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      const answer = { status: res.statusCode ?? 0, get body() { return body; }, close: () => req.destroy() };
      if (res.statusCode === 200) resolve(answer);
      else res.on('end', () => resolve(answer));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('event streams of the agent', () => {
  const agents: AgentProcess[] = [];
  afterAll(async () => {
    for (const a of agents) await a.stop();
  });

  it('caps the streams of one client and answers 429 TOO_MANY_STREAMS over it', async () => {
    const agent = new AgentProcess();
    agent.writeConfig({ socket: { path: agent.socket, maxStreamsPerClient: 2, maxStreams: 3 } });
    agents.push(agent);
    await agent.start();
    const a = await openStream(agent.socket);
    const b = await openStream(agent.socket);
    expect([a.status, b.status]).toEqual([200, 200]);
    const c = await openStream(agent.socket);
    expect(c.status).toBe(429);
    expect(JSON.parse(c.body).error.code).toBe('TOO_MANY_STREAMS');
    a.close();
    await waitFor(async () => (await openStream(agent.socket).then((s) => (s.close(), s.status))) === 200, 5000, 'a freed slot');
    b.close();
  });

  it('drops 50 clients that never read during 1 000 enqueue+delete, memory bounded', async () => {
    const agent = new AgentProcess();
    agent.writeConfig({ socket: { path: agent.socket, maxStreamsPerClient: 64, maxStreams: 64, maxStreamStallS: 2 }, transfers: { perClientLimit: 100 } });
    agents.push(agent);
    await agent.start();
    const pid = agent.child!.pid!;
    const before = rssMiB(pid);
    const slow: Socket[] = [];
    for (let i = 0; i < 50; i++) {
      const s = connect(agent.socket);
      s.write('GET /v1/events HTTP/1.1\r\nhost: ferry\r\n\r\n');
      s.pause(); // never reads
      slow.push(s);
    }
    const tag = 'x'.repeat(1000); // larger events fill the socket buffers sooner
    let peak = before;
    for (let i = 0; i < 1000; i++) {
      const r = await agent.api('POST', '/v1/transfers', { url: `http://127.0.0.1:1/f${i}`, path: `s/f${i}`, tag, retry: { initialDelayS: 3600 } });
      expect(r.status).toBe(201);
      expect((await agent.api('DELETE', `/v1/transfers/${r.body.id}`)).status).toBe(204);
      if (i % 100 === 0) peak = Math.max(peak, rssMiB(pid));
    }
    await waitFor(() => (agent.logs.match(/dropped an event stream that does not read/g) ?? []).length === 50, 20_000, 'all slow clients dropped');
    const after = rssMiB(pid);
    console.log(`event streams: 50 non-reading clients, 1000 enqueue+delete: agent RSS ${before} MiB before, peak ${Math.max(peak, after)} MiB, ${after} MiB after`);
    expect(Math.max(peak, after) - before).toBeLessThan(80);
    expect(agent.logs).not.toMatch(/MaxListenersExceededWarning/);
    // A reading client is served as before.
    const s = await openStream(agent.socket);
    expect(s.status).toBe(200);
    s.close();
    for (const x of slow) x.destroy();
  }, 120_000);
});
