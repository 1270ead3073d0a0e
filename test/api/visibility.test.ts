// What a non-admin client sees (issue 9), with real peers of other uids (setpriv): its own counts in
// /v1/metrics and its own jobs in /v1/devices; an open event stream follows the client list after SIGHUP.
import { chmodSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess } from '../support/agent.js';
import { apiAs, streamAs } from '../support/as-uid.js';
import { waitFor } from '../support/wait.js';

const ALICE = 60_001;
const BOB = 60_002;
const CAROL = 60_003;

function clients(list: Array<{ name: string; uids: number[]; admin?: boolean }>) {
  return { list, allowUnlisted: false };
}

const queuedCount = (metrics: string): number =>
  [...metrics.matchAll(/^ferry_transfers\{state="[a-z]+"\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);

describe('visibility for non-admin clients', () => {
  const agent = new AgentProcess();
  const base = (list: Parameters<typeof clients>[0]) => ({
    socket: { path: agent.socket, mode: '0666' },
    clients: clients(list),
    transfers: { perClientLimit: 10 },
    devices: [{ id: 'meter', transport: { kind: 'udp', host: '127.0.0.1', port: 9 }, pull: [{ remote: '/lfs/log.bin' }], when: { onConnect: false } }],
  });
  const initial = [
    { name: 'alice', uids: [ALICE] },
    { name: 'bob', uids: [BOB] },
    { name: 'carol', uids: [CAROL] },
  ];
  let bobId = '';

  beforeAll(async () => {
    chmodSync(agent.dir.path, 0o755);
    agent.writeConfig(base(initial));
    await agent.start();
    const add = (uid: number, n: string) =>
      apiAs(uid, agent.socket, 'POST', '/v1/transfers', { url: `http://127.0.0.1:1/${n}`, path: `${n}.bin`, retry: { initialDelayS: 3600 } });
    expect((await add(ALICE, 'a1')).status).toBe(201);
    const b = await add(BOB, 'b1');
    expect(b.status).toBe(201);
    bobId = b.body.id;
    await add(BOB, 'b2');
  }, 60_000);
  afterAll(() => agent.stop());

  it('metrics count only the caller\'s own transfers; an admin sees all', async () => {
    const alice = await apiAs(ALICE, agent.socket, 'GET', '/v1/metrics');
    expect(alice.status).toBe(200);
    expect(queuedCount(alice.body)).toBe(1);
    expect(queuedCount((await apiAs(BOB, agent.socket, 'GET', '/v1/metrics')).body)).toBe(2);
    expect(queuedCount((await agent.api('GET', '/v1/metrics')).body)).toBe(3);
  });

  it('devices list only the caller\'s own jobs', async () => {
    const sync = await apiAs(BOB, agent.socket, 'POST', '/v1/devices/meter/sync', {});
    expect(sync.status).toBe(202);
    const ids = sync.body.transfers.map((t: { id: string }) => t.id);
    expect(ids.length).toBeGreaterThan(0);
    // bob has no userInitiated right: his on-demand jobs are not user-initiated.
    expect(sync.body.transfers.every((t: { userInitiated: boolean }) => t.userInitiated === false)).toBe(true);
    const asBob = await apiAs(BOB, agent.socket, 'GET', '/v1/devices');
    expect(asBob.body.devices[0].jobs.ids).toEqual(expect.arrayContaining(ids));
    const asAlice = await apiAs(ALICE, agent.socket, 'GET', '/v1/devices');
    expect(asAlice.body.devices[0].jobs).toMatchObject({ ids: [], outstanding: 0 });
    expect((await agent.api('GET', '/v1/devices')).body.devices[0].jobs.ids).toEqual(expect.arrayContaining(ids));
  });

  it('after SIGHUP a removed client\'s stream is closed and a new admin sees everyone\'s events', async () => {
    const alice = streamAs(ALICE, agent.socket);
    const carol = streamAs(CAROL, agent.socket);
    await waitFor(() => alice.text.includes('event: conditions') && carol.text.includes('event: conditions'), 10_000, 'both streams open');
    await apiAs(BOB, agent.socket, 'POST', `/v1/transfers/${bobId}/pause`);
    await waitFor(() => agent.logs.includes('"state":"paused"'), 5000, 'the pause');
    expect(carol.text).not.toContain(bobId);

    agent.writeConfig(base([{ name: 'bob', uids: [BOB] }, { name: 'carol', uids: [CAROL], admin: true }]));
    const reloads = (agent.logs.match(/config reloaded/g) ?? []).length;
    agent.child!.kill('SIGHUP');
    await waitFor(() => (agent.logs.match(/config reloaded/g) ?? []).length > reloads, 5000, 'the reload');
    await waitFor(() => alice.closed, 5000, 'alice\'s stream to be closed');
    // The rights are re-checked within a second of the reload.
    await waitFor(async () => {
      await apiAs(BOB, agent.socket, 'POST', `/v1/transfers/${bobId}/resume`);
      await apiAs(BOB, agent.socket, 'POST', `/v1/transfers/${bobId}/pause`);
      return carol.text.includes(bobId);
    }, 10_000, 'carol to see bob\'s transfer');
    expect(carol.closed).toBe(false);
    carol.close();
    const refused = await apiAs(ALICE, agent.socket, 'GET', '/v1/events');
    expect(refused.body.error.code).toBe('UNKNOWN_CLIENT');
  }, 60_000);
});
