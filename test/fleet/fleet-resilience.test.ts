// The bridge under failure, against a real Mosquitto: agent SIGKILLed mid-job, broker restarted mid-job
// (persistence on), the will message, broker-enforced ACLs, TLS with the right and a wrong CA.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentProcess } from '../support/agent.js';
import { AGENT_START_MS, fleetAgent } from '../support/fleet-agent.js';
import { fleetAcl, Mosquitto, mosquittoUnavailableReason, type Watch } from '../support/mosquitto.js';
import { startOrigin, type Origin } from '../support/origin.js';
import { makeTestCerts } from '../support/tls-certs.js';
import { waitFor } from '../support/wait.js';

const skip = mosquittoUnavailableReason();
const P = 'ferry/v1';

// Agents start (and restart) inside the tests: room for slow starts on a loaded machine.
describe.skipIf(skip !== null)('fleet bridge resilience', { timeout: 150_000 }, () => {
  let broker: Mosquitto;
  let origin: Origin;
  let watch: Watch;
  const agents: AgentProcess[] = [];
  const body = randomBytes(1_500_000);

  beforeAll(async () => {
    broker = new Mosquitto({ operator: 'op', 'gw-k': 'k', 'gw-r': 'r', 'gw-t': 't', 'gw-x': 'x' }, fleetAcl({}));
    await broker.start();
    origin = await startOrigin();
    origin.file('/slow.bin', body, { throttleBytesPerSec: 300_000 });
    watch = broker.watch('operator', `${P}/#`);
  });

  afterAll(async () => {
    watch?.stop();
    await Promise.all(agents.map((a) => a.stop()));
    await origin?.close();
    await broker?.close();
  });

  const status = (gw: string, job: string) => watch.json(`${P}/${gw}/jobs/${job}/status`);
  const fleetTransfers = async (a: AgentProcess) => (await a.api('GET', '/v1/transfers')).body.transfers.filter((t: any) => t.owner === 'fleet');

  it('an agent SIGKILLed mid-job neither loses nor duplicates it; the will marks it offline meanwhile', async () => {
    const a = fleetAgent(broker, 'gw-k');
    agents.push(a);
    await a.start({}, AGENT_START_MS);
    broker.pub('operator', `${P}/gw-k/jobs/k1`, JSON.stringify({ transfer: { url: origin.url('/slow.bin'), path: 'k1.bin' } }));
    const running = await waitFor(() => (status('gw-k', 'k1')?.state === 'running' ? status('gw-k', 'k1') : null), 10_000, 'k1 running');
    await a.waitTransfer(running.transfers[0].id, (t) => t.bytesTransferred > 200_000, 10_000, 'some bytes');
    await a.kill('SIGKILL');
    await waitFor(() => watch.json(`${P}/gw-k/online`)?.online === false, 10_000, 'will message: offline');
    await a.start({}, AGENT_START_MS);
    await waitFor(() => watch.json(`${P}/gw-k/online`)?.online === true, 10_000, 'online again');
    await waitFor(() => status('gw-k', 'k1')?.state === 'completed', 30_000, 'k1 completed after restart');
    const ts = await fleetTransfers(a);
    expect(ts).toHaveLength(1);
    expect(ts[0].id).toBe(running.transfers[0].id);
    // The origin saw a resumed request, not a second full download.
    const gets = origin.log.filter((l) => l.path === '/slow.bin' && l.method === 'GET');
    expect(gets.some((l) => l.rangeStart !== null && l.rangeStart > 0)).toBe(true);
  });

  it('the broker restarted mid-job: the agent reconnects, the job completes and its final status arrives', async () => {
    const a = fleetAgent(broker, 'gw-r');
    agents.push(a);
    await a.start({}, AGENT_START_MS);
    broker.pub('operator', `${P}/gw-r/jobs/r1`, JSON.stringify({ transfer: { url: origin.url('/slow.bin'), path: 'r1.bin' } }));
    await waitFor(() => status('gw-r', 'r1')?.state === 'running', 10_000, 'r1 running');
    watch.stop();
    await broker.stop();
    await waitFor(async () => (await a.api('GET', '/v1/health')).body.fleet.state !== 'connected', 10_000, 'bridge notices');
    // Local work goes on without the broker.
    const [t] = await fleetTransfers(a);
    await a.waitTransfer(t.id, (x) => x.state === 'completed', 30_000, 'completes while the broker is down');
    expect((await a.api('GET', '/v1/fleet')).body.outbox).toBeGreaterThan(0);
    await broker.start();
    watch = broker.watch('operator', `${P}/#`);
    await waitFor(() => status('gw-r', 'r1')?.state === 'completed', 20_000, 'final status after reconnect');
    await waitFor(async () => (await a.api('GET', '/v1/fleet')).body.outbox === 0, 10_000, 'outbox drained');
    // The retained job came back with the restored broker: still one transfer.
    expect(await fleetTransfers(a)).toHaveLength(1);
    // The retained job of the first test survived the restart too (persistence).
    expect(broker.sub('operator', `${P}/gw-k/jobs/k1`, 1, 1)).toHaveLength(1);
  });

  it("ACL: a gateway's credentials cannot read another gateway's job topics (enforced by the broker)", () => {
    broker.pub('operator', `${P}/gw-x/jobs/secret`, JSON.stringify({ transfer: { url: origin.url('/slow.bin'), path: 's.bin' } }));
    expect(broker.sub('gw-x', `${P}/gw-x/jobs/+`, 1, 1).map((m) => m.topic)).toEqual([`${P}/gw-x/jobs/secret`]);
    expect(broker.sub('gw-k', `${P}/gw-x/jobs/+`, 1, 1)).toEqual([]);
    expect(broker.sub('gw-k', `${P}/#`, 1).map((m) => m.topic)).not.toContain(`${P}/gw-x/jobs/secret`);
  });

  it('a broker refusing the credentials never stops local work; health names the refusal', async () => {
    const a = fleetAgent(broker, 'gw-x', { passwordFile: broker.secretFile('gw-k') });
    agents.push(a);
    await a.start({}, AGENT_START_MS);
    const h = await waitFor(async () => {
      const f = (await a.api('GET', '/v1/health')).body.fleet;
      return f.lastError ? f : null;
    }, 10_000, 'a refusal in health');
    expect(h.state).not.toBe('connected');
    expect(h.lastError).toMatch(/not authori[sz]ed|bad user name or password/i);
    origin.file('/local.bin', Buffer.from('local work'));
    const t = (await a.api('POST', '/v1/transfers', { url: origin.url('/local.bin'), path: 'local.bin' })).body;
    await a.waitTransfer(t.id, (x) => x.state === 'completed', 10_000, 'a local transfer completes');
  });

  it('TLS: connects with caFile; a wrong CA never connects and health says why', async () => {
    const ok = fleetAgent(broker, 'gw-t', { url: broker.tlsUrl, caFile: broker.certs.caFile });
    agents.push(ok);
    await ok.start({}, AGENT_START_MS);
    await waitFor(async () => (await ok.api('GET', '/v1/health')).body.fleet.state === 'connected', 10_000, 'TLS connected');
    // Wire bytes: the TLS handshake (the broker's certificate alone is several hundred bytes) is counted.
    const bytes = (await ok.api('GET', '/v1/fleet')).body.bytes;
    expect(bytes.received).toBeGreaterThan(400);
    await ok.kill('SIGTERM');
    await waitFor(() => watch.json(`${P}/gw-t/online`)?.online === false, 5000, 'orderly stop publishes offline');
    const other = makeTestCerts();
    const bad = fleetAgent(broker, 'gw-t', { url: broker.tlsUrl, caFile: other.caFile });
    agents.push(bad);
    await bad.start({}, AGENT_START_MS);
    const h = await waitFor(async () => {
      const f = (await bad.api('GET', '/v1/health')).body.fleet;
      return f.lastError ? f : null;
    }, 10_000, 'a TLS error in health');
    expect(h.state).not.toBe('connected');
    expect(h.lastError).toMatch(/certificate/i);
    other.cleanup();
  });
});
