// Fleet jobs end to end: a real Mosquitto (TLS, password file, ACL), real ferryd processes, operators'
// side with mosquitto_pub -r / mosquitto_sub, files from a real HTTP origin.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FERRYCTL, type AgentProcess } from '../support/agent.js';
import { AGENT_START_MS, fleetAgent } from '../support/fleet-agent.js';
import { fleetAcl, Mosquitto, mosquittoUnavailableReason, type Watch } from '../support/mosquitto.js';
import { startOrigin, type Origin } from '../support/origin.js';
import { waitFor } from '../support/wait.js';

const skip = mosquittoUnavailableReason();
if (skip) console.warn(`skipping fleet broker tests: ${skip}`);

const run = promisify(execFile);
const P = 'ferry/v1';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe.skipIf(skip !== null)('fleet jobs over MQTT', () => {
  let broker: Mosquitto;
  let origin: Origin;
  let watch: Watch;
  const agents: AgentProcess[] = [];
  const fw = randomBytes(300_000);

  beforeAll(async () => {
    broker = new Mosquitto(
      { operator: 'op-secret', 'gw-a': 'a-secret', 'gw-b': 'b-secret', 'gw-c': 'c-secret' },
      fleetAcl({ 'gw-a': ['g1'], 'gw-b': ['g1'], 'gw-c': ['g1'] }),
    );
    await broker.start();
    origin = await startOrigin();
    origin.file('/fw.bin', fw);
    origin.file('/slow.bin', randomBytes(2_000_000), { throttleBytesPerSec: 100_000 });
    origin.file('/medium.bin', randomBytes(1_300_000), { throttleBytesPerSec: 100_000 });
    watch = broker.watch('operator', `${P}/#`);
    for (const gw of ['gw-a', 'gw-b', 'gw-c']) agents.push(fleetAgent(broker, gw, { groups: ['g1'] }));
    // One at a time: parallel starts on a loaded 2-core CI machine overrun the start timeout.
    for (const a of agents) await a.start({}, AGENT_START_MS);
    await waitFor(() => agents.every((_, i) => watch.json(`${P}/gw-${'abc'[i]}/online`)?.online === true), 10_000, 'all agents online');
  }, 180_000);

  afterAll(async () => {
    watch?.stop();
    await Promise.all(agents.map((a) => a.stop()));
    await origin?.close();
    await broker?.close();
  });

  const status = (gw: string, job: string) => watch.json(`${P}/${gw}/jobs/${job}/status`);

  it('a retained job runs under TRANSFERS_ROOT/fleet/ and its status reaches completed', async () => {
    const [a] = agents;
    broker.pub('operator', `${P}/gw-a/jobs/fw1`, JSON.stringify({ transfer: { url: origin.url('/fw.bin'), path: 'fw/fw.bin', sha256: sha(fw) } }));
    const s = await waitFor(() => (status('gw-a', 'fw1')?.state === 'completed' ? status('gw-a', 'fw1') : null), 20_000, 'fw1 completed');
    expect(s.transfers).toHaveLength(1);
    expect(s.transfers[0]).toMatchObject({ state: 'completed', bytesTransferred: fw.length, totalBytes: fw.length });
    expect(sha(readFileSync(join(a!.root, 'fleet/fw/fw.bin')))).toBe(sha(fw));
    const t = await a!.transfer(s.transfers[0].id);
    expect(t).toMatchObject({ owner: 'fleet', path: 'fleet/fw/fw.bin' });
    const view = (await a!.api('GET', '/v1/fleet')).body;
    expect(view).toMatchObject({ state: 'connected', gatewayId: 'gw-a', groups: ['g1'] });
    expect(view.jobs).toEqual([expect.objectContaining({ job: 'fw1', state: 'completed', transfers: [t.id] })]);
    expect(view.bytes.sent).toBeGreaterThan(0);
    expect((await a!.api('GET', '/v1/health')).body.fleet).toMatchObject({ state: 'connected', lastError: null });
  });

  it('ferryctl fleet and ferryctl health show the bridge and its jobs (--json too)', async () => {
    const ctl = (...args: string[]) => run(process.execPath, [FERRYCTL, '--socket', agents[0]!.socket, ...args]);
    const text = (await ctl('fleet')).stdout;
    expect(text).toMatch(/^fleet: connected since /);
    expect(text).toMatch(/gateway gw-a on mqtt:\/\/127\.0\.0\.1:\d+; groups: g1/);
    expect(text).toMatch(/fw1\s+completed\s+1\s+ferry\/v1\/gw-a\/jobs\/fw1/);
    const json = JSON.parse((await ctl('fleet', '--json')).stdout);
    expect(json.jobs.map((j: any) => j.job)).toContain('fw1');
    expect((await ctl('health')).stdout).toMatch(/\nfleet: connected since \S+\n$/);
  });

  it('the same job redelivered (QoS 1 duplicate, republished identical) maps to the same single transfer', async () => {
    const [a] = agents;
    const doc = JSON.stringify({ transfer: { url: origin.url('/fw.bin'), path: 'fw/fw.bin', sha256: sha(fw) } });
    broker.pub('operator', `${P}/gw-a/jobs/fw1`, doc);
    broker.pub('operator', `${P}/gw-a/jobs/fw1`, doc, false);
    const view = async () => (await a!.api('GET', '/v1/fleet')).body;
    await new Promise((r) => setTimeout(r, 500)); // nothing to wait for: the assertion is that nothing happens
    expect((await view()).jobs).toHaveLength(1);
    expect((await a!.api('GET', '/v1/transfers')).body.transfers.filter((t: any) => t.owner === 'fleet')).toHaveLength(1);
  });

  it('an invalid job is rejected with the code the socket API gives the same request', async () => {
    const [a] = agents;
    const cases: Array<[string, unknown]> = [
      ['bad-scheme', { url: 'ftp://example.org/x', path: 'x' }],
      ['escape', { url: origin.url('/fw.bin'), path: '../../etc/x' }],
      ['typo', { url: origin.url('/fw.bin'), path: 'x', sha265: 'ab' }],
      ['reserved', { url: origin.url('/fw.bin'), path: 'x', headers: { Range: 'bytes=0-' } }],
    ];
    for (const [job, transfer] of cases) {
      const api = (await a!.api('POST', '/v1/transfers', transfer)).body.error;
      broker.pub('operator', `${P}/gw-a/jobs/${job}`, JSON.stringify({ transfer }));
      const s = await waitFor(() => status('gw-a', job), 10_000, `${job} status`);
      expect(s).toMatchObject({ job, state: 'rejected', transfers: [], error: { code: api.code } });
    }
    broker.pub('operator', `${P}/gw-a/jobs/both`, JSON.stringify({ transfer: {}, sync: 'dev' }));
    broker.pub('operator', `${P}/gw-a/jobs/notjson`, '{nope');
    broker.pub('operator', `${P}/gw-a/jobs/nodev`, JSON.stringify({ sync: 'no-such-device' }));
    await waitFor(() => status('gw-a', 'both')?.error.code === 'BAD_REQUEST', 10_000, 'both rejected');
    await waitFor(() => status('gw-a', 'notjson')?.error.code === 'INVALID_JSON', 10_000, 'notjson rejected');
    await waitFor(() => status('gw-a', 'nodev')?.error.code === 'DEVICE_NOT_FOUND', 10_000, 'nodev rejected');
  });

  it('hostile job messages: an id too long for a status topic and an oversized document are answered small; the agent stays up', async () => {
    const [a] = agents;
    // The longest id a job topic can carry here: its status topic (7 bytes longer) passes MQTT's 65 535,
    // which MQTT.js wrote as a broken packet and threw for, from an event: it ended the agent.
    const longId = 'x'.repeat(65_535 - `${P}/gw-a/jobs/`.length);
    broker.pub('operator', `${P}/gw-a/jobs/${longId}`, JSON.stringify({ transfer: { url: origin.url('/fw.bin'), path: 'x' } }), false);
    const invalid = await waitFor(() => status('gw-a', '!invalid'), 10_000, 'the long id answered under !invalid').catch((e) => {
      console.log(a!.logs.slice(-3000));
      throw e;
    });
    expect(invalid).toMatchObject({ state: 'rejected', error: { code: 'INVALID_FIELD', message: expect.stringMatching(/65516 bytes starting "x{64}"/) } });
    broker.pub('operator', `${P}/gw-a/jobs/huge`, JSON.stringify({ transfer: { url: origin.url('/fw.bin'), path: 'x' }, pad: 'p'.repeat(200_000) }), false);
    expect(await waitFor(() => status('gw-a', 'huge'), 10_000, 'huge rejected')).toMatchObject({ state: 'rejected', error: { code: 'TOO_LARGE' } });
    const view = (await a!.api('GET', '/v1/fleet')).body;
    expect(view.jobs.find((j: any) => j.job.length > 64)).toBeUndefined();
    expect(a!.child?.exitCode).toBeNull();
    // Still taking jobs after a reconnect (the outbox is sent again on connect: nothing in it may break it).
    broker.pub('operator', `${P}/gw-a/jobs/after-hostile`, JSON.stringify({ transfer: { url: origin.url('/fw.bin'), path: 'after-hostile.bin' } }));
    await waitFor(() => status('gw-a', 'after-hostile')?.state === 'completed', 20_000, 'a job after the hostile ones');
  });

  it('a group job reaches every member, each reporting under its own status topic', async () => {
    broker.pub('operator', `${P}/groups/g1/jobs/gfw`, JSON.stringify({ transfer: { url: origin.url('/fw.bin'), path: 'group/fw.bin' } }));
    for (const [i, a] of agents.entries()) {
      const gw = `gw-${'abc'[i]}`;
      await waitFor(() => status(gw, 'gfw')?.state === 'completed', 20_000, `${gw} gfw completed`);
      expect(sha(readFileSync(join(a.root, 'fleet/group/fw.bin')))).toBe(sha(fw));
    }
  });

  it('a known job id with another document is rejected with JOB_CONFLICT and the first job is untouched', async () => {
    broker.pub('operator', `${P}/gw-b/jobs/gfw`, JSON.stringify({ transfer: { url: origin.url('/fw.bin'), path: 'other.bin' } }));
    await waitFor(() => status('gw-b', 'gfw')?.error?.code === 'JOB_CONFLICT', 10_000, 'conflict');
    const view = (await agents[1]!.api('GET', '/v1/fleet')).body;
    expect(view.jobs.find((j: any) => j.job === 'gfw')).toMatchObject({ state: 'completed', source: `${P}/groups/g1/jobs/gfw` });
    broker.pub('operator', `${P}/gw-b/jobs/gfw`, null);
  });

  it('a withdrawn job (empty retained payload) is cancelled and its transfer removed', async () => {
    const [a] = agents;
    broker.pub('operator', `${P}/gw-a/jobs/slow`, JSON.stringify({ transfer: { url: origin.url('/slow.bin'), path: 'slow.bin' } }));
    const running = await waitFor(() => (status('gw-a', 'slow')?.state === 'running' ? status('gw-a', 'slow') : null), 10_000, 'slow running');
    const id = running.transfers[0].id;
    broker.pub('operator', `${P}/gw-a/jobs/slow`, null);
    await waitFor(() => status('gw-a', 'slow')?.state === 'withdrawn', 10_000, 'slow withdrawn');
    // Its own cancellation is not reported as a failure on the way.
    const states = watch.messages.filter((m) => m.topic === `${P}/gw-a/jobs/slow/status`).map((m) => JSON.parse(m.payload).state);
    expect(states).not.toContain('failed');
    expect((await a!.api('GET', `/v1/transfers/${id}`)).status).toBe(404);
    expect((await a!.api('GET', '/v1/fleet')).body.jobs.map((j: any) => j.job)).not.toContain('slow');
  });

  it('reports progress at most once per 10 s per job, and every state change', async () => {
    const topic = `${P}/gw-b/jobs/prog/status`;
    broker.pub('operator', `${P}/gw-b/jobs/prog`, JSON.stringify({ transfer: { url: origin.url('/medium.bin'), path: 'medium.bin' } }));
    await waitFor(() => status('gw-b', 'prog')?.state === 'completed', 30_000, 'prog completed');
    const msgs = watch.messages.filter((m) => m.topic === topic).map((m) => JSON.parse(m.payload));
    const running = msgs.filter((m) => m.state === 'running');
    const span = (Date.parse(running.at(-1).updatedAt) - Date.parse(running[0].updatedAt)) / 1000;
    expect(['queued', 'running']).toContain(msgs[0].state); // queuing decides at once when nothing holds it
    expect(msgs.at(-1).state).toBe('completed');
    expect(running.length).toBeGreaterThanOrEqual(2); // the start, then at least one progress update in ~13 s
    expect(running.length).toBeLessThanOrEqual(1 + Math.ceil(span / 10));
    for (let i = 2; i < running.length; i++) {
      expect(Date.parse(running[i].updatedAt) - Date.parse(running[i - 1].updatedAt)).toBeGreaterThanOrEqual(10_000);
    }
    expect(running.at(-1).transfers[0].bytesTransferred).toBeGreaterThan(0);
  });

  it('honours notBefore (queued without work until then) and notAfter (failed EXPIRED)', async () => {
    const at = new Date(Date.now() + 2500).toISOString();
    broker.pub('operator', `${P}/gw-c/jobs/later`, JSON.stringify({ notBefore: at, transfer: { url: origin.url('/fw.bin'), path: 'later.bin' } }));
    const q = await waitFor(() => status('gw-c', 'later'), 10_000, 'later queued');
    expect(q).toMatchObject({ state: 'queued', transfers: [] });
    const done = await waitFor(() => (status('gw-c', 'later')?.state === 'completed' ? Date.now() : null), 15_000, 'later completed');
    expect(done).toBeGreaterThanOrEqual(Date.parse(at));
    broker.pub('operator', `${P}/gw-c/jobs/late`, JSON.stringify({ notAfter: new Date(Date.now() - 1000).toISOString(), transfer: { url: origin.url('/fw.bin'), path: 'late.bin' } }));
    await waitFor(() => status('gw-c', 'late')?.error?.code === 'EXPIRED', 10_000, 'late expired');
    expect(status('gw-c', 'late').state).toBe('failed');
    broker.pub('operator', `${P}/gw-c/jobs/short`, JSON.stringify({ notAfter: new Date(Date.now() + 1500).toISOString(), transfer: { url: origin.url('/slow.bin'), path: 'short.bin' } }));
    await waitFor(() => status('gw-c', 'short')?.error?.code === 'EXPIRED', 10_000, 'short expired while running');
    expect(status('gw-c', 'short')).toMatchObject({ state: 'failed', transfers: [] });
  });

  it("counts the bridge's own MQTT bytes in the usage ledger under fleet-mqtt, beside the fleet's transfers", async () => {
    const [a] = agents;
    // Sampled every 10 s: by now every agent has run for longer than that.
    const usage = await waitFor(async () => {
      const r = await a!.api('GET', '/v1/usage?by=client');
      const rows = (r.body as { usage: Array<{ client: string; rxBytes: number; txBytes: number }> }).usage;
      return rows.find((u) => u.client === 'fleet-mqtt' && u.rxBytes > 0 && u.txBytes > 0) ? rows : null;
    }, 15_000, 'fleet-mqtt usage');
    const link = usage.find((u) => u.client === 'fleet-mqtt')!;
    const wire = ((await a!.api('GET', '/v1/fleet')).body as { bytes: { sent: number; received: number } }).bytes;
    // Never more than the link counted (the ledger samples it); the transfers stay under their own owner.
    expect(link.txBytes).toBeLessThanOrEqual(wire.sent);
    expect(link.rxBytes).toBeLessThanOrEqual(wire.received);
    expect(usage.find((u) => u.client === 'fleet')!.rxBytes).toBeGreaterThanOrEqual(fw.length);
  });
});
