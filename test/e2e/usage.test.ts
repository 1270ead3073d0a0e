// Byte accounting on the real agent, per client, across a SIGKILL: what ferry counts is HTTP body bytes
// on the wire — response bodies as received (downloads), request bodies as handed to the socket
// (uploads), bytes sent again after a restart included; no headers, TLS or TCP overhead. After the
// restart each client's figure equals what the origin logged (bytes it wrote / read) within one
// unwritten batch: the batch rides in each progress checkpoint (model/checkpoint-cadence.ts) and is
// written at each attempt's end.
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess } from '../support/agent.js';
import { apiAs, canSwitchUser } from '../support/api-as.js';
import { startOrigin, type Origin } from '../support/origin.js';

const MiB = 1024 * 1024;
const CAM = 4101;
const LOGGER = 4102;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
if (!canSwitchUser()) console.warn('skipping the usage e2e test: it calls the agent as other uids, which needs root');

describe.skipIf(!canSwitchUser())('byte accounting on the real agent', () => {
  let origin: Origin;
  beforeAll(async () => {
    origin = await startOrigin();
  });
  afterAll(() => origin.close());

  it('counts each client\'s bytes as the origin does, across a SIGKILL and restart', async () => {
    // Held by the origin below what ferry reads, so no body waits in socket buffers at the kill: bytes
    // the origin wrote that the gateway's kernel held but ferry never read are not ferry's to count.
    origin.file('/cam.bin', randomBytes(6 * MiB), { throttleBytesPerSec: 512 * 1024 });
    origin.sink('/logs');
    const agent = new AgentProcess();
    agent.writeConfig({
      socket: { path: agent.socket, mode: '0666' },
      clients: { list: [{ name: 'cam', uids: [CAM] }, { name: 'logger', uids: [LOGGER] }] },
      conditions: { source: 'config', static: { network: { kind: 'ethernet', interface: 'eth9' } } },
      // ferry's own limit paces the upload, so the kill lands mid-body; the origin holds the download
      // under its share. A checkpoint (and its batch of counts) per 128 KiB, at most one per 250 ms: at most
      // 2 MiB/s × 0.25 s unwritten.
      policy: { bandwidth: [{ network: 'ethernet', bytesPerSecond: 2 * MiB, window: null, exempt: [] }] },
      transfers: { checkpointMs: 250, checkpointBytes: 128 * 1024 },
    });
    chmodSync(agent.dir.path, 0o755);
    // The file rule: logger's paths are in its own folder, and ferry reads only what logger may read.
    mkdirSync(join(agent.root, 'logger/logs'), { recursive: true });
    writeFileSync(join(agent.root, 'logger/logs/day.log'), randomBytes(12 * MiB));
    for (const p of ['logger', 'logger/logs', 'logger/logs/day.log']) chownSync(join(agent.root, p), LOGGER, LOGGER);
    try {
      await agent.start();
      const dl = await apiAs(CAM, agent.socket, 'POST', '/v1/transfers', { url: origin.url('/cam.bin'), path: 'cam.bin' });
      expect(dl.status).toBe(201);
      const up = await apiAs(LOGGER, agent.socket, 'POST', '/v1/transfers', { url: origin.url('/logs'), path: 'logs/day.log', method: 'PUT' });
      expect(up.status).toBe(201);
      await agent.waitTransfer(dl.body.id, (t) => t.bytesTransferred > MiB, 30_000, 'download well under way');
      await agent.kill('SIGKILL');
      const sentAtKill = origin.bytesSent('/cam.bin');
      expect(sentAtKill).toBeLessThan(6 * MiB);
      await sleep(200);

      await agent.start();
      await agent.waitTransfer(dl.body.id, (t) => t.state === 'completed', 60_000, 'download completed');
      await agent.waitTransfer(up.body.id, (t) => t.state === 'completed', 30_000, 'upload completed');

      const originRx = origin.log.filter((e) => e.path === '/logs').reduce((n, e) => n + e.bytesReceived, 0);
      const originTx = origin.bytesSent('/cam.bin');
      expect(originRx).toBeGreaterThan(12 * MiB); // the upload restarted from zero: bytes sent twice are counted by both sides
      const all = await agent.api('GET', '/v1/usage?by=client');
      expect(all.status).toBe(200);
      const row = (name: string) => all.body.usage.find((r: { client: string }) => r.client === name);
      console.log(`origin wrote ${originTx} (cam), read ${originRx} (logger); ferry counted rx ${row('cam')?.rxBytes}, tx ${row('logger')?.txBytes}`);
      // Lost: at most the one batch unwritten at the kill (BATCH), plus what sat in socket buffers between
      // the two sides at the kill (SLACK: a paced upload chunk, or body the origin wrote that ferry had not read).
      const BATCH = 512 * 1024;
      const SLACK = 256 * 1024;
      expect(row('cam').rxBytes).toBeLessThanOrEqual(originTx);
      expect(row('cam').rxBytes).toBeGreaterThanOrEqual(originTx - BATCH - SLACK);
      expect(row('cam').txBytes).toBe(0);
      expect(row('logger').txBytes).toBeLessThanOrEqual(originRx + SLACK);
      expect(row('logger').txBytes).toBeGreaterThanOrEqual(originRx - BATCH - SLACK);
      expect(row('logger').rxBytes).toBe(0);

      // A client sees its own rows only; full rows name the network, interface and local day.
      const mine = await apiAs(CAM, agent.socket, 'GET', '/v1/usage');
      expect(mine.body.usage.map((r: { client: string }) => r.client)).toEqual(['cam']);
      expect(mine.body.usage[0]).toMatchObject({ network: 'ethernet', interface: 'eth9', day: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
      const bad = await agent.api('GET', '/v1/usage?by=planet');
      expect(bad.status).toBe(400);

      const metrics = (await agent.api('GET', '/v1/metrics')).body as string;
      expect(metrics).toContain(`ferry_usage_bytes_total{client="cam",network="ethernet",interface="eth9",direction="rx"} ${row('cam').rxBytes}`);
      expect(metrics).toContain(`ferry_usage_bytes_total{client="logger",network="ethernet",interface="eth9",direction="tx"} ${row('logger').txBytes}`);
    } finally {
      await agent.stop();
    }
  }, 90_000);
});
