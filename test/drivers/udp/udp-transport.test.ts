import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { SmpClient } from '../../../src/sync/smp/smp-client.js';
import { UdpTransport } from '../../../drivers/udp/udp-transport.js';
import { SmpDeviceSim, type SmpSimKnobs } from '../../support/smp-sim/smp-device-sim.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function rig(knobs: Partial<SmpSimKnobs> = {}) {
  const sim = new SmpDeviceSim({ bufSize: 2048, ...knobs });
  const device = await sim.attachUdp();
  cleanups.push(() => device.close());
  const transport = new UdpTransport((type) => createSocket(type), { host: '127.0.0.1', port: device.port });
  await transport.open();
  cleanups.push(() => transport.close());
  return { sim, transport, client: new SmpClient(transport, { timeoutMs: 300, retries: 2 }) };
}

describe('SMP over UDP loopback', () => {
  it('echoes one packet per datagram', async () => {
    const { client, sim } = await rig();
    expect(await client.os.echo('udp')).toBe('udp');
    expect(sim.requests).toHaveLength(1);
  });

  it('downloads and uploads with chunks bounded by the datagram MTU', async () => {
    const { client, sim } = await rig({ downloadChunkSize: 900 });
    const file = new Uint8Array(randomBytes(5000));
    sim.files.set('/f', file);
    expect((await client.fs.download('/f')).data).toEqual(file);
    await client.fs.upload('/g', file);
    expect(sim.files.get('/g')).toEqual(file);
    const writes = sim.requests.filter((r) => r.header.group === 8 && r.header.op === 2);
    expect(Math.max(...writes.map((r) => r.size))).toBeLessThanOrEqual(1024);
    expect(Math.max(...writes.map((r) => r.size))).toBeGreaterThan(1000);
  });

  it('uploads an image and retries lost datagrams', async () => {
    const { client, sim } = await rig({ dropRequests: 1 });
    const image = new Uint8Array(randomBytes(3000));
    sim.knobs.dropResponses = 0;
    expect(await client.image.upload(image)).toMatchObject({ length: 3000, match: true });
  });

  it('times out when nothing listens on the port', async () => {
    const probe = createSocket('udp4');
    await new Promise<void>((r) => probe.bind(0, '127.0.0.1', () => r()));
    const port = probe.address().port;
    await new Promise<void>((r) => probe.close(() => r()));
    const transport = new UdpTransport((type) => createSocket(type), { host: '127.0.0.1', port });
    await transport.open();
    cleanups.push(() => transport.close());
    const client = new SmpClient(transport, { timeoutMs: 100, retries: 1 });
    await expect(client.os.echo('anyone?')).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('closes cleanly and then refuses to send', async () => {
    const { client, transport } = await rig();
    await transport.close();
    expect(transport.isOpen).toBe(false);
    await expect(client.os.echo('late')).rejects.toMatchObject({ code: 'DISCONNECTED' });
  });
});
