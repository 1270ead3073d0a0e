import { decode, encode } from 'cbor2';
import { afterEach, describe, expect, it } from 'vitest';
import { UsbBulkTransport } from '../../../drivers/usb/usb-bulk-transport.js';
import { smpPacket, SmpEchoResponder } from '../../support/ble-sim/smp-echo-responder.js';
import { SmpDeviceSim } from '../../support/smp-sim/smp-device-sim.js';
import { FakeUsb, type FakeUsbDeviceOptions } from '../../support/usb-sim/fake-usb.js';
import { waitFor } from '../../support/wait.js';

const echo = (text: string, seq = 1) => smpPacket(2, 0, seq, 0, encode({ d: text }));
const echoed = (rsp: Uint8Array) => (decode(rsp.subarray(8)) as { r?: unknown }).r;

const transports: UsbBulkTransport[] = [];
afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close()));
});

function rig(opts: Partial<FakeUsbDeviceOptions> = {}) {
  const usb = new FakeUsb();
  const sim = new SmpDeviceSim({ bufSize: 4096 });
  const dev = usb.plug({ vid: 0x2fe3, pid: 0x0200, portNumbers: [2], handler: sim, ...opts }, false);
  const t = new UsbBulkTransport({ device: dev, usb });
  transports.push(t);
  const packets: Uint8Array[] = [];
  t.on('packet', (p: Uint8Array) => packets.push(p));
  return { usb, sim, dev, t, packets };
}

describe('UsbBulkTransport', () => {
  it('sends one SMP packet per bulk OUT transfer and delivers the answer', async () => {
    const { dev, t, packets } = rig();
    await t.open();
    expect(t.description).toBe('usb:2fe3:0200@1-2');
    const req = echo('x'.repeat(700), 9);
    await t.send(req);
    await waitFor(() => packets.length === 1, 2000, 'answer');
    expect(dev.outTransfers).toEqual([req]);
    expect(packets[0]![6]).toBe(9);
    expect(echoed(packets[0]!)).toBe('x'.repeat(700));
  });

  it('reassembles an answer the device splits over several IN transfers', async () => {
    const { dev, t, packets } = rig({ inTransferSize: 64 });
    await t.open();
    await t.send(echo('y'.repeat(300)));
    await waitFor(() => packets.length === 1, 2000, 'answer');
    expect(dev.inTransfers.length).toBeGreaterThan(4);
    expect(echoed(packets[0]!)).toBe('y'.repeat(300));
  });

  it('splits two packets that arrive in one IN transfer', async () => {
    const { dev, t, packets } = rig({ handler: new SmpEchoResponder() });
    await t.open();
    const a = smpPacket(3, 0, 1, 0, new Uint8Array([1, 2, 3]));
    const b = smpPacket(3, 0, 2, 0, new Uint8Array([4]));
    dev.sendRaw(new Uint8Array([...a, ...b]));
    await waitFor(() => packets.length === 2, 2000, 'two packets');
    expect(packets).toEqual([a, b]);
  });

  it('fails an in-flight send and closes with DISCONNECTED when the device is unplugged', async () => {
    const { usb, dev, t } = rig();
    await t.open();
    dev.hangOut = true;
    const closed = new Promise<unknown>((resolve) => t.once('close', resolve));
    const sending = t.send(echo('z')).catch((e: unknown) => e);
    await waitFor(() => !dev.detached && dev.opened, 1000, 'transfer started');
    usb.unplug(dev);
    expect(await sending).toMatchObject({ code: 'DISCONNECTED' });
    expect(await closed).toMatchObject({ code: 'DISCONNECTED' });
    expect(t.isOpen).toBe(false);
    await expect(t.send(echo('again'))).rejects.toMatchObject({ code: 'DISCONNECTED' });
  });

  it('closes with DISCONNECTED when an idle device is unplugged', async () => {
    const { usb, dev, t } = rig();
    await t.open();
    const closed = new Promise<unknown>((resolve) => t.once('close', resolve));
    usb.unplug(dev);
    expect(await closed).toMatchObject({ code: 'DISCONNECTED', message: expect.stringContaining('1-2') });
  });

  it('closes with DISCONNECTED when the SMP device drops off the bus mid-exchange', async () => {
    const { sim, t } = rig();
    sim.knobs.disconnectAfterBytes = 50;
    await t.open();
    const closed = new Promise<unknown>((resolve) => t.once('close', resolve));
    await t.send(echo('q'.repeat(100)));
    expect(await closed).toMatchObject({ code: 'DISCONNECTED' });
  });

  it('reports BUSY when another process holds the interface, and NOT_FOUND without a vendor interface', async () => {
    const { dev, t } = rig();
    dev.busyInterfaces.add(0);
    await expect(t.open()).rejects.toMatchObject({ code: 'BUSY' });
    expect(dev.opened).toBe(false);
    const { t: acm } = rig({ functions: ['cdc-acm'] });
    await expect(acm.open()).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it("close() releases the interface and emits 'close' without a reason", async () => {
    const { dev, t } = rig();
    await t.open();
    expect(dev.claimed.has(0)).toBe(true);
    const reasons: unknown[] = [];
    t.on('close', (r: unknown) => reasons.push(r));
    await t.close();
    expect(dev.claimed.size).toBe(0);
    expect(dev.opened).toBe(false);
    expect(reasons).toEqual([undefined]);
  });
});
