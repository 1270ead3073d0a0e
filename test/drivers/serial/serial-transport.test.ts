import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { SmpClient } from '../../../src/sync/smp/smp-client.js';
import { SerialTransport, type SerialTransportOptions } from '../../../drivers/serial/serial-transport.js';
import { LineTransport } from '../../../drivers/serial/line-transport.js';
import { openPtyPair, type PtyPair } from '../../support/pty.js';
import { defaultBinding, type SerialFrontend, type SerialFrontendOptions } from '../../support/smp-sim/serial-frontend.js';
import { SmpDeviceSim, type SmpSimKnobs } from '../../support/smp-sim/smp-device-sim.js';
import { waitFor } from '../../support/wait.js';
import { missingCommand, prerequisite } from '../../support/prerequisites.js';

const hasSocat = prerequisite('serial transport tests', missingCommand('socat', ['-V'])) === null;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Rig {
  pty: PtyPair;
  sim: SmpDeviceSim;
  device: SerialFrontend;
  transport: SerialTransport;
  client: SmpClient;
}

async function rig(knobs: Partial<SmpSimKnobs> = {}, dev: SerialFrontendOptions = {}, host: Partial<SerialTransportOptions> = {}): Promise<Rig> {
  const pty = await openPtyPair();
  cleanups.push(() => pty.close());
  const sim = new SmpDeviceSim(knobs);
  const device = await sim.attachSerial(pty.b, { onDisconnect: () => pty.unplug(), ...dev });
  cleanups.push(() => device.close());
  const transport = new SerialTransport(defaultBinding(), { path: pty.a, ...host });
  await transport.open();
  cleanups.push(() => transport.close());
  const client = new SmpClient(transport, { timeoutMs: 500, retries: 2 });
  return { pty, sim, device, transport, client };
}

const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());

describe.skipIf(!hasSocat)('SMP over a serial pty', () => {
  it('echoes and reads params through the console framing', async () => {
    const { client, device } = await rig({ bufSize: 512 });
    expect(await client.os.echo('Hello world!')).toBe('Hello world!');
    expect(await client.os.params()).toEqual({ bufSize: 512, bufCount: 4 });
    expect(device.counters.drops).toEqual([]);
  });

  it('downloads and uploads files with resume from an offset', async () => {
    const { client, sim } = await rig({ bufSize: 512, downloadChunkSize: 300 }, {}, { mtu: 1024 });
    const file = new Uint8Array(randomBytes(4000));
    sim.files.set('/lfs/data.bin', file);
    const parts: Uint8Array[] = [];
    await client.fs.download('/lfs/data.bin', { onChunk: (_o, b) => void parts.push(b) });
    expect(Buffer.concat(parts)).toEqual(Buffer.from(file));
    const tail = await client.fs.download('/lfs/data.bin', { offset: 3000 });
    expect(tail.data).toEqual(file.subarray(3000));

    const up = new Uint8Array(randomBytes(3000));
    let confirmed = 0;
    const ac = new AbortController();
    await expect(
      client.fs.upload('/lfs/up.bin', up, { signal: ac.signal, onProgress: (o) => void ((confirmed = o) > 1000 && ac.abort(new Error('pause'))) }),
    ).rejects.toThrow('pause');
    await client.fs.upload('/lfs/up.bin', up, { offset: confirmed });
    expect(sim.files.get('/lfs/up.bin')).toEqual(up);
    expect(sim.oversizeRequests).toBe(0);
    expect(Buffer.from((await client.fs.hash('/lfs/up.bin', 'sha256')).output as Uint8Array)).toEqual(Buffer.from(sha256(up)));
  });

  it('uploads an image, resumes it by sha, tests and confirms it', async () => {
    const { client, sim } = await rig();
    const image = new Uint8Array(randomBytes(3000));
    const ac = new AbortController();
    await expect(client.image.upload(image, { signal: ac.signal, onProgress: (o) => void (o > 1500 && ac.abort(new Error('cut'))) })).rejects.toThrow('cut');
    const resumedAt = sim.imageUpload!.off;
    const seen: number[] = [];
    expect(await client.image.upload(image, { onProgress: (o) => void seen.push(o) })).toMatchObject({ match: true });
    expect(seen[0]).toBe(resumedAt);
    expect((await client.image.test(sha256(image)))[1]).toMatchObject({ pending: true });
    expect((await client.image.confirm(sha256(image)))[1]).toMatchObject({ pending: true, permanent: true });
  });

  it('works with a v1-only device answering with indefinite-length maps', async () => {
    const { client } = await rig({ protocol: 'v1-only', indefiniteMaps: true });
    expect(await client.os.echo('old')).toBe('old');
    expect(client.version).toBe(1);
    await expect(client.fs.status('/none')).rejects.toMatchObject({ rcName: 'MGMT_ERR_ENOENT' });
  });

  it('recovers from answers with bad CRCs by retrying', async () => {
    const { client, transport, device } = await rig({}, { crcErrors: 1 });
    const drops: string[] = [];
    transport.on('drop', (d: { reason: string }) => drops.push(d.reason));
    expect(await client.os.echo('crc')).toBe('crc');
    expect(drops).toEqual(['crc']);
    expect(device.knobs.crcErrors).toBe(0);
  });

  it('loses requests whose frames exceed the device line buffer, and works with 127-byte frames', async () => {
    const wide = await rig({}, { maxRxLineLength: 127 }, { lineLength: 512 });
    const slow = new SmpClient(wide.transport, { timeoutMs: 200, retries: 0 });
    await expect(slow.os.echo('x'.repeat(200))).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(wide.device.counters.drops.some((d) => d.reason === 'line-too-long')).toBe(true);
    const narrow = await rig({}, { maxRxLineLength: 127 });
    expect(await narrow.client.os.echo('x'.repeat(200))).toBe('x'.repeat(200));
  });

  it('paces writes frame by frame at the configured rate', async () => {
    const pauses: number[] = [];
    const sleep = (ms: number) => {
      pauses.push(ms);
      return new Promise<void>((r) => setTimeout(r, ms));
    };
    const { client } = await rig({}, {}, { pacing: { frameDelayMs: 1, bytesPerSecond: 127_000 }, sleep });
    expect(await client.os.echo('y'.repeat(200))).toBe('y'.repeat(200));
    // 200-byte echo = 3 frames; a full 127-byte frame at 127 kB/s waits 1 ms, the short last one the floor of 1 ms
    expect(pauses).toHaveLength(3);
    expect(pauses[0]).toBeCloseTo(1, 5);
    expect(pauses.every((p) => p >= 1)).toBe(true);
  });

  it('fails a transfer with DISCONNECTED when the device is unplugged mid-way', async () => {
    const { client, sim, transport } = await rig({ disconnectAfterBytes: 2000, downloadChunkSize: 200 });
    sim.files.set('/big', new Uint8Array(randomBytes(10_000)));
    let got = 0;
    const closed = new Promise((r) => transport.once('close', r));
    await expect(client.fs.download('/big', { onChunk: (_o, b) => void (got += b.length) })).rejects.toMatchObject({
      name: 'TransportError',
      code: 'DISCONNECTED',
    });
    expect(got).toBeGreaterThan(0);
    expect(got).toBeLessThan(10_000);
    await closed;
    expect(transport.isOpen).toBe(false);
  });
});

describe.skipIf(!hasSocat)('line-oriented serial devices', () => {
  it('emits each received line and sends lines with the configured ending', async () => {
    const pty = await openPtyPair();
    cleanups.push(() => pty.close());
    const binding = defaultBinding();
    const far = await binding.open({ path: pty.b, baudRate: 9600 });
    cleanups.push(() => far.close().catch(() => undefined));
    const t = new LineTransport(binding, { path: pty.a, baudRate: 9600, maxLineLength: 100 });
    await t.open();
    cleanups.push(() => t.close());
    const lines: string[] = [];
    const drops: string[] = [];
    t.on('line', (l: string) => lines.push(l));
    t.on('drop', (d: { reason: string }) => drops.push(d.reason));
    await far.write(Buffer.from(`$GPGGA,123519,4807.038,N*47\r\n${'z'.repeat(150)}\nt,21.5,48\n`));
    await waitFor(() => lines.length === 2, 3000, 'two lines');
    expect(lines).toEqual(['$GPGGA,123519,4807.038,N*47', 't,21.5,48']);
    expect(drops).toEqual(['line-too-long']);
    await t.sendLine('AT');
    const buf = Buffer.alloc(16);
    const { bytesRead } = await far.read(buf, 0, 16);
    expect(buf.subarray(0, bytesRead).toString()).toBe('AT\r\n');
  });
});
