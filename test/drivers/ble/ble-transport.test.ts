import { decode, encode } from 'cbor2';
import { afterEach, describe, expect, it } from 'vitest';
import { BleTransport, type BleTransportOptions } from '../../../drivers/ble/ble-transport.js';
import { TransportError } from '../../../drivers/transport.js';
import { FakeNoble, errnoError } from '../../support/ble-sim/fake-noble.js';
import { ManualClock } from '../../support/ble-sim/manual-clock.js';
import { SmpEchoResponder, smpPacket, type SmpHandler } from '../../support/ble-sim/smp-echo-responder.js';
import { SmpDeviceSim } from '../../support/smp-sim/smp-device-sim.js';
import { waitFor } from '../../support/wait.js';

/** SMP echo request (group 0, id 0, write) carrying {"d": text}. */
function echoRequest(text: string, seq = 1): Uint8Array {
  return smpPacket(2, 0, seq, 0, encode({ d: text }));
}

/** The echo text carried by a response ({"r": text}). */
function echoed(rsp: Uint8Array): unknown {
  return (decode(rsp.subarray(8)) as { r?: unknown }).r;
}

function setup(mtu: number | null = 247, opts: Partial<BleTransportOptions> = {}, device: SmpHandler = new SmpDeviceSim({ bufSize: 4096 })) {
  const noble = new FakeNoble();
  const peripheral = noble.addPeripheral({ address: 'C0:FF:EE:00:00:01', name: 'sensor-1', mtu, handler: device });
  // A bystander that must never be picked.
  noble.addPeripheral({ address: 'C0:FF:EE:00:00:02', name: 'other', serviceUuids: ['180f'], handler: device });
  const clock = new ManualClock();
  const t = new BleTransport({ noble, target: { name: 'sensor-1' }, timers: clock, ...opts });
  return { noble, device, peripheral, clock, t };
}

async function roundTrip(t: BleTransport, packet: Uint8Array): Promise<Uint8Array> {
  const got = new Promise<Uint8Array>((resolve) => t.once('packet', resolve));
  await t.send(packet);
  return got;
}

const open: BleTransport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

describe('BleTransport', () => {
  it.each([
    ['advertised name', { name: 'sensor-1' }],
    ['address in any case', { address: 'c0:ff:ee:00:00:01' }],
    ['SMP service UUID', { serviceUuid: '8D53DC1D-1DB7-4CD3-868B-8A527460AA84' }],
  ])('connects to the device by %s and exchanges an SMP echo', async (_label, target) => {
    const { peripheral, noble } = setup(247);
    const tt = new BleTransport({ noble, target, timers: new ManualClock() });
    open.push(tt);
    await tt.open();
    expect(tt.isOpen).toBe(true);
    expect(tt.description).toBe('ble:c0:ff:ee:00:00:01 (sensor-1)');
    const rsp = await roundTrip(tt, echoRequest('hello', 7));
    expect(rsp[0]! & 7).toBe(3);
    expect(rsp[6]).toBe(7);
    expect(echoed(rsp)).toBe('hello');
    expect(peripheral.connectCount).toBe(1);
    if ('serviceUuid' in target) expect(noble.scanFilters.at(-1)).toEqual(['8d53dc1d1db74cd3868b8a527460aa84']);
  });

  it('writes in 20-byte pieces while the link stays at the default MTU of 23', async () => {
    const { t, peripheral } = setup(null);
    open.push(t);
    await t.open();
    expect(t.mtu).toBe(23);
    const req = echoRequest('x'.repeat(90));
    await roundTrip(t, req);
    expect(peripheral.writes.map((w) => w.length)).toEqual([20, 20, 20, 20, 20, req.length - 100]);
    expect(Buffer.concat(peripheral.writes)).toEqual(Buffer.from(req));
  });

  it('writes in 244-byte pieces once the peripheral reports an MTU of 247', async () => {
    const { t, peripheral } = setup(247);
    open.push(t);
    await t.open();
    await waitFor(() => t.mtu === 247, 2000, 'MTU exchange');
    expect(t.chunkSize).toBe(244);
    const req = echoRequest('y'.repeat(600));
    await roundTrip(t, req);
    expect(peripheral.writes.map((w) => w.length)).toEqual([244, 244, req.length - 488]);
  });

  it('reassembles a 600-byte response that arrives as many notifications', async () => {
    const { t, peripheral } = setup(null);
    open.push(t);
    await t.open();
    const req = echoRequest('z'.repeat(586));
    expect(req.length).toBe(600);
    const packets: Uint8Array[] = [];
    t.on('packet', (p: Uint8Array) => packets.push(p));
    await t.send(req);
    await waitFor(() => packets.length === 1, 5000, 'reassembled response');
    expect(peripheral.notifications.length).toBe(30);
    expect(packets[0]!.length).toBe(600);
    expect(echoed(packets[0]!)).toBe('z'.repeat(586));
  });

  it('splits back-to-back responses into separate packets', async () => {
    const device = new SmpEchoResponder();
    device.repeat = 3;
    const { t } = setup(247, {}, device);
    open.push(t);
    await t.open();
    const packets: Uint8Array[] = [];
    t.on('packet', (p: Uint8Array) => packets.push(p));
    await t.send(echoRequest('abc'));
    await waitFor(() => packets.length === 3, 2000, 'three responses');
    expect(new Set(packets.map((p) => p.length))).toEqual(new Set([echoRequest('abc').length]));
  });

  it.each(['unsupported', 'unauthorized', 'poweredOff'])('rejects open() with UNAVAILABLE when the adapter is %s', async (state) => {
    const { t, noble } = setup();
    noble.setState(state);
    const err = await t.open().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe('UNAVAILABLE');
    expect((err as TransportError).message).toContain(state);
    expect(t.isOpen).toBe(false);
  });

  it('rejects open() with UNAVAILABLE when the HCI socket cannot be created (EAFNOSUPPORT)', async () => {
    const { t, noble } = setup();
    noble.initError = errnoError('EAFNOSUPPORT');
    await expect(t.open()).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('kernel') });
  });

  it('rejects open() with UNAVAILABLE when there is no noble at all', async () => {
    const t = new BleTransport({ noble: null, target: { name: 'x' } });
    await expect(t.open()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('waits for the adapter to power on before scanning', async () => {
    const { t, noble } = setup();
    noble.setState('unknown');
    open.push(t);
    const opening = t.open();
    await waitFor(() => noble.listenerCount('stateChange') > 0, 1000, 'stateChange listener');
    expect(noble.scanning).toBe(false);
    noble.setState('poweredOn');
    await opening;
    expect(t.isOpen).toBe(true);
  });

  it('reports NOT_FOUND when no matching device advertises before the scan timeout', async () => {
    const { noble, clock } = setup();
    const t = new BleTransport({ noble, target: { name: 'absent' }, timers: clock, scanTimeoutMs: 10_000 });
    const opening = t.open().catch((e: unknown) => e);
    await waitFor(() => noble.scanning, 1000, 'scan start');
    await clock.advance(10_000);
    expect(await opening).toMatchObject({ code: 'NOT_FOUND' });
    expect(noble.scanning).toBe(false);
  });

  it('reports IO with the cause when the peripheral refuses the connection', async () => {
    const { t, peripheral } = setup();
    peripheral.refuseConnections = true;
    const err = (await t.open().catch((e: unknown) => e)) as TransportError;
    expect(err.code).toBe('IO');
    expect(err.cause).toBeInstanceOf(Error);
    expect(t.isOpen).toBe(false);
  });

  it("does not hang when noble's disconnect never completes after a refused connection", async () => {
    const { t, peripheral, clock } = setup();
    peripheral.refuseConnections = true;
    peripheral.disconnectHangs = true;
    const opening = t.open().catch((e: unknown) => e);
    await waitFor(() => clock.pending().length === 1, 1000, 'cleanup timer');
    await clock.advance(2_000);
    expect(await opening).toMatchObject({ code: 'IO' });
  });

  it('reports NOT_FOUND when the device has no SMP characteristic, and disconnects', async () => {
    const noble = new FakeNoble();
    const p = noble.addPeripheral({ address: 'aa:bb:cc:dd:ee:ff', name: 'plain', handler: new SmpEchoResponder(), hasSmpService: false });
    const t = new BleTransport({ noble, target: { name: 'plain' }, timers: new ManualClock() });
    await expect(t.open()).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await waitFor(() => p.state === 'disconnected', 1000, 'disconnect');
  });

  it("emits 'close' with DISCONNECTED when the link drops, and rejects later sends", async () => {
    const { t, peripheral } = setup();
    await t.open();
    const closed = new Promise<unknown>((resolve) => t.once('close', resolve));
    peripheral.dropLink();
    const reason = (await closed) as TransportError;
    expect(reason.code).toBe('DISCONNECTED');
    expect(t.isOpen).toBe(false);
    await expect(t.send(echoRequest('late'))).rejects.toMatchObject({ code: 'DISCONNECTED' });
    await expect(t.open()).rejects.toMatchObject({ code: 'DISCONNECTED' });
  });

  it('fails a send that is cut by a link drop with DISCONNECTED', async () => {
    const { t, peripheral } = setup(null);
    await t.open();
    peripheral.dropAfterWrites = 2;
    const closed = new Promise<unknown>((resolve) => t.once('close', resolve));
    await expect(t.send(echoRequest('q'.repeat(200)))).rejects.toMatchObject({ code: 'DISCONNECTED' });
    expect(await closed).toMatchObject({ code: 'DISCONNECTED' });
  });

  it("emits 'close' with DISCONNECTED when the device goes silent and drops the link mid-exchange", async () => {
    const device = new SmpDeviceSim({ bufSize: 4096, disconnectAfterBytes: 100 });
    const { t } = setup(247, {}, device);
    await t.open();
    const closed = new Promise<unknown>((resolve) => t.once('close', resolve));
    await t.send(echoRequest('w'.repeat(200)));
    expect(await closed).toMatchObject({ code: 'DISCONNECTED' });
  });

  it("emits 'close' with DISCONNECTED when the adapter powers off under an open link", async () => {
    const { t, noble } = setup();
    await t.open();
    const closed = new Promise<unknown>((resolve) => t.once('close', resolve));
    noble.setState('poweredOff');
    expect(await closed).toMatchObject({ code: 'DISCONNECTED', message: expect.stringContaining('poweredOff') });
  });

  it("close() disconnects and emits 'close' without a reason", async () => {
    const { t, peripheral } = setup();
    await t.open();
    const reasons: unknown[] = [];
    t.on('close', (r: unknown) => reasons.push(r));
    await t.close();
    expect(peripheral.state).toBe('disconnected');
    expect(reasons).toEqual([undefined]);
  });
});
