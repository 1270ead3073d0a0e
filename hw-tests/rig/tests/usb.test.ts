// The USB path: a vendor-class device with a bulk OUT/IN pair carrying raw SMP packets (the rig's
// FunctionFS gadget; on a physical rig, a board with such a firmware), first alone, then with ferry.
import { expect, it } from 'vitest';
import { routeMissing } from './support/ferry-api.js';
import { devicePresent, ferryctlEcho } from './support/ferry-devices.js';
import { firstReason, hwDescribe, needRoot, needSocket, rigEnv } from './support/rig-env.js';
import { echoReply, echoRequest } from './support/smp-probe.js';

const env = rigEnv();
const [vid, pid] = (env.usb ?? '').split(':').map((h) => parseInt(h, 16));
const linkReason = firstReason(env.usb && vid && pid ? null : 'FERRY_HW_USB not set (VID:PID of the vendor-class SMP device)', needRoot());
const featureReason =
  linkReason ??
  needSocket(env) ??
  (env.usbDevice ? null : 'FERRY_HW_USB_DEVICE not set (id of the USB device in ferry\'s config)') ??
  (await routeMissing(env.socket, '/v1/devices', 'device sync'));

/** The WebUSB calls the check needs (usb 3.x exposes WebUSB for Node). */
interface WebUsbDevice {
  vendorId: number;
  productId: number;
  configuration: { interfaces: { alternate: { endpoints: { endpointNumber: number; direction: 'in' | 'out' }[] } }[] } | null;
  open(): Promise<void>;
  close(): Promise<void>;
  selectConfiguration(n: number): Promise<void>;
  claimInterface(n: number): Promise<void>;
  releaseInterface(n: number): Promise<void>;
  transferOut(ep: number, data: Uint8Array): Promise<{ status: string }>;
  transferIn(ep: number, length: number): Promise<{ status: string; data?: DataView }>;
}

async function bulkEcho(text: string): Promise<string> {
  const { WebUSB } = (await import('usb')) as unknown as { WebUSB: new (o: object) => { getDevices(): Promise<WebUsbDevice[]> } };
  const dev = (await new WebUSB({ allowAllDevices: true }).getDevices()).find((d) => d.vendorId === vid && d.productId === pid);
  if (!dev) throw new Error(`no USB device ${env.usb}`);
  await dev.open();
  try {
    if (!dev.configuration) await dev.selectConfiguration(1);
    await dev.claimInterface(0);
    const eps = dev.configuration!.interfaces[0]!.alternate.endpoints;
    const out = eps.find((e) => e.direction === 'out')!.endpointNumber;
    const inp = eps.find((e) => e.direction === 'in')!.endpointNumber;
    await dev.transferOut(out, echoRequest(text));
    const r = await dev.transferIn(inp, 512);
    await dev.releaseInterface(0);
    return echoReply(Buffer.from(r.data!.buffer, r.data!.byteOffset, r.data!.byteLength));
  } finally {
    await dev.close();
  }
}

hwDescribe(`the vendor-class SMP device ${env.usb ?? '(unset)'}`, linkReason, () => {
  it('answers an SMP echo over its bulk endpoints', async () => {
    expect(await bulkEcho('rig-usb-echo')).toBe('rig-usb-echo');
  });
});

hwDescribe(`ferry with the vendor-class SMP device "${env.usbDevice ?? '(unset)'}"`, featureReason, () => {
  it('finds the device by VID:PID and lists it as present', async () => {
    const d = await devicePresent(env.socket, env.usbDevice!);
    expect(d.transport).toMatch(/usb/);
  });

  it('answers an SMP echo through ferry\'s client over bulk (ferryctl smp --device)', async () => {
    expect(await ferryctlEcho(env.socket, env.usbDevice!, 'rig-ferry-usb')).toContain('rig-ferry-usb');
  });
});
