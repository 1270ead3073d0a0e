import { afterEach, describe, expect, it } from 'vitest';
import { SmpClient, type SmpClientOptions } from '../../../src/sync/smp/smp-client.js';
import { isSmpError, SmpError } from '../../../src/sync/smp/smp-errors.js';
import { isTransportError } from '../../../drivers/transport.js';
import { LoopbackTransport } from '../../support/smp-sim/loopback-transport.js';
import { SmpDeviceSim, type SmpSimKnobs } from '../../support/smp-sim/smp-device-sim.js';

const open: LoopbackTransport[] = [];
afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
});

async function setup(knobs: Partial<SmpSimKnobs> = {}, opts: SmpClientOptions = {}) {
  const sim = new SmpDeviceSim(knobs);
  const transport = new LoopbackTransport(sim, 1024);
  await transport.open();
  open.push(transport);
  const client = new SmpClient(transport, { timeoutMs: 300, retries: 1, ...opts });
  return { sim, transport, client };
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('SmpClient', () => {
  it('echoes text and matches the answer by sequence number', async () => {
    const { client, sim } = await setup();
    const seen = sim.expectRequest(1000, (r) => r.header.group === 0 && r.header.id === 0);
    expect(await client.os.echo('hello')).toBe('hello');
    const req = await seen;
    expect(req.header.version).toBe(2);
    expect(req.body).toEqual({ d: 'hello' });
  });

  it('reads the device buffer parameters', async () => {
    const { client } = await setup({ bufSize: 512, bufCount: 3 });
    expect(await client.os.params()).toEqual({ bufSize: 512, bufCount: 3 });
    expect(await client.packetLimit()).toBe(508);
  });

  it('uses the transport MTU when the device has no params command', async () => {
    const { client } = await setup({ supportsParams: false });
    expect(await client.packetLimit()).toBe(1024);
  });

  it('falls back to v1 when a Zephyr device refuses v2 with UNSUPPORTED_TOO_NEW', async () => {
    const { client, sim } = await setup({ protocol: 'v1-only', v1Answer: 'too-new' });
    expect(await client.os.echo('x')).toBe('x');
    expect(client.version).toBe(1);
    expect(sim.requests.map((r) => r.header.version)).toEqual([2, 1]);
    await client.os.echo('y');
    expect(sim.requests.at(-1)!.header.version).toBe(1);
  });

  it('falls back to v1 when an old device answers with v1 headers', async () => {
    const { client, sim } = await setup({ protocol: 'v1-only', v1Answer: 'ignore-version' });
    expect(await client.os.echo('x')).toBe('x');
    expect(client.version).toBe(1);
    await client.os.echo('y');
    expect(sim.requests.map((r) => r.header.version)).toEqual([2, 1]);
  });

  it('reports a v2 group error with its group and name', async () => {
    const { client } = await setup();
    const e = await failure(client.fs.status('/nope'));
    expect(isSmpError(e)).toBe(true);
    expect(e).toMatchObject({ code: 'DEVICE_ERROR', group: 8, rc: 3, rcName: 'FS_MGMT_ERR_FILE_NOT_FOUND', groupScoped: true });
  });

  it('reports a legacy rc error from a v1 device', async () => {
    const { client } = await setup({ protocol: 'v1-only' });
    const e = (await failure(client.fs.status('/nope'))) as SmpError;
    expect(e).toBeInstanceOf(SmpError);
    expect(e).toMatchObject({ rc: 5, rcName: 'MGMT_ERR_ENOENT', groupScoped: false });
    expect(e.is(8, 3, 5)).toBe(true);
  });

  it('reports legacy rc errors from a v2 device configured for them', async () => {
    const { client } = await setup({ errorForm: 'rc' });
    await expect(client.stats.read('missing')).rejects.toMatchObject({ rcName: 'MGMT_ERR_ENOENT' });
    expect(client.version).toBe(2);
  });

  it('reports an unknown command as ENOTSUP', async () => {
    const { client } = await setup();
    await expect(client.request('read', 0, 99)).rejects.toMatchObject({ rcName: 'MGMT_ERR_ENOTSUP' });
  });

  it('decodes answers written with indefinite-length maps', async () => {
    const { client, sim } = await setup({ indefiniteMaps: true });
    sim.files.set('/a', new Uint8Array([1, 2, 3]));
    expect(await client.os.echo('indef')).toBe('indef');
    expect((await client.fs.download('/a')).data).toEqual(new Uint8Array([1, 2, 3]));
    const state = await client.image.state();
    expect(state[0]).toMatchObject({ slot: 0, active: true, confirmed: true, version: '1.0.0' });
  });

  it('retries after a lost request and succeeds', async () => {
    const { client, sim } = await setup({ dropRequests: 1 });
    expect(await client.os.echo('again')).toBe('again');
    expect(sim.requests).toHaveLength(2);
    expect(sim.requests[0]!.header.seq).not.toBe(sim.requests[1]!.header.seq);
  });

  it('accepts a late answer to an earlier attempt', async () => {
    const { client, sim } = await setup({ delayMs: 450 }, { timeoutMs: 300, retries: 1 });
    expect(await client.os.echo('slow')).toBe('slow');
    expect(sim.requests).toHaveLength(2);
  });

  it('fails with TIMEOUT once retries are used up', async () => {
    const { client, sim } = await setup({ dropRequests: 10 }, { timeoutMs: 100, retries: 2 });
    const e = await failure(client.os.echo('void'));
    expect(isTransportError(e) && e.code).toBe('TIMEOUT');
    expect(sim.requests).toHaveLength(3);
  });

  it('stops waiting when the signal aborts', async () => {
    const { client } = await setup({ dropRequests: 10 }, { timeoutMs: 5000 });
    const ac = new AbortController();
    const p = client.os.echo('abort me', { signal: ac.signal });
    ac.abort(new Error('cancelled by job'));
    await expect(p).rejects.toThrow('cancelled by job');
  });

  it('fails pending and later requests with DISCONNECTED when the transport closes', async () => {
    const { client, transport } = await setup({ dropRequests: 10 }, { timeoutMs: 5000 });
    const p = client.os.echo('x');
    await new Promise((r) => setImmediate(r));
    await transport.close();
    await expect(p).rejects.toMatchObject({ name: 'TransportError', code: 'DISCONNECTED' });
    await expect(client.os.echo('y')).rejects.toMatchObject({ code: 'DISCONNECTED' });
  });

  it('runs stats, shell and os info commands', async () => {
    const { client } = await setup();
    expect(await client.stats.list()).toEqual(['smp_svr_stats']);
    expect(await client.stats.read('smp_svr_stats')).toEqual({ name: 'smp_svr_stats', fields: { ticks: 42, frames: 7 } });
    expect(await client.shell.exec(['echo', 'hi', 'there'])).toEqual({ output: 'hi there', ret: 0 });
    await expect(client.shell.exec([])).rejects.toMatchObject({ rcName: 'SHELL_MGMT_ERR_EMPTY_COMMAND' });
    expect(await client.os.info('a')).toMatch(/Zephyr/);
  });
});
