// The USB path: a vendor-class device with a bulk OUT/IN pair carrying raw SMP packets (the rig's
// FunctionFS gadget; on a physical rig, a board with such a firmware), first alone, then with ferry:
// a pull over bulk, and a detach/attach (gadget unbound from its UDC) in the middle of one.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { waitFor } from '../../../test/support/wait.js';
import { getOk, healthy, routeMissing } from './support/ferry-api.js';
import { devicePresent, ferryctlEcho, type ListedDevice } from './support/ferry-devices.js';
import { isFinished, randomData, RigGadgetDevice, sha256, syncDevice, waitTransfer } from './support/rig-gadget-device.js';
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
// The sync tests change the device's files and unplug it: only the virtual rig's simulator allows that.
const syncReason = featureReason ?? RigGadgetDevice.missing('FERRY_RIG_USB_SIM', 'FERRY_RIG_USB_UDC');
const transfersRoot = process.env.FERRY_HW_TRANSFERS_ROOT ?? '/var/lib/ferry/transfers';

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
  transferOut(ep: number, data: Uint8Array, timeoutMs?: number): Promise<{ status: string }>;
  transferIn(ep: number, length: number, timeoutMs?: number): Promise<{ status: string; data?: DataView }>;
}

const BULK_TIMEOUT_MS = 15_000;

async function bulkEcho(text: string): Promise<string> {
  const { WebUSB } = (await import('usb')) as unknown as { WebUSB: new (o: object) => { getDevices(): Promise<WebUsbDevice[]> } };
  const dev = (await new WebUSB({ allowAllDevices: true }).getDevices()).find((d) => d.vendorId === vid && d.productId === pid);
  if (!dev) throw new Error(`no USB device ${env.usb}`);
  await dev.open();
  let claimed = false;
  try {
    if (!dev.configuration) await dev.selectConfiguration(1);
    await dev.claimInterface(0);
    claimed = true;
    const eps = dev.configuration!.interfaces[0]!.alternate.endpoints;
    const out = eps.find((e) => e.direction === 'out')!.endpointNumber;
    const inp = eps.find((e) => e.direction === 'in')!.endpointNumber;
    // usb's default is 1 s per transfer; the gadget's simulator runs in a TCG guest on a shared host,
    // where one reply has taken longer (CI: "transferIn error: Cancelled", nusb's word for a timeout).
    await dev.transferOut(out, echoRequest(text), BULK_TIMEOUT_MS);
    const r = await dev.transferIn(inp, 512, BULK_TIMEOUT_MS);
    return echoReply(Buffer.from(r.data!.buffer, r.data!.byteOffset, r.data!.byteLength));
  } finally {
    // Released on every path: an interface left claimed by this worker makes ferry's next session BUSY.
    if (claimed) await dev.releaseInterface(0).catch(() => undefined);
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

hwDescribe(`ferry syncing with the vendor-class SMP device "${env.usbDevice ?? '(unset)'}"`, syncReason, () => {
  const dev = syncReason === null ? RigGadgetDevice.fromEnv('FERRY_RIG_USB_SIM', 'FERRY_RIG_USB_UDC') : (null as unknown as RigGadgetDevice);
  const id = env.usbDevice ?? '(unset)';
  // Names as in guest/ferry.rig.json's rig-usb entry.
  const remote = '/lfs/rig-data.bin';
  const pulled = join(transfersRoot, 'devices', id, 'rig-data.bin');
  const deviceState = async () => (await getOk<{ devices: ListedDevice[] }>(env.socket, '/v1/devices')).devices.find((d) => d.id === id);

  afterAll(() => {
    dev.setDelayMs(0);
    if (!dev.bound()) dev.replug();
  });

  it('pulls a file over bulk into devices/<id>/ verified with the device\'s sha256', async () => {
    const data = randomData(40_000);
    dev.setDelayMs(0);
    dev.putFile(remote, data);
    await devicePresent(env.socket, id);
    const pull = (await syncDevice(env.socket, id)).find((t) => t.direction === 'download');
    expect(pull, 'the sync queues the pull').toBeDefined();
    const done = await waitTransfer(env.socket, pull!.id, isFinished, 90_000, 'the pull finished');
    expect(done.error).toBeNull();
    expect(done.state).toBe('completed');
    expect(sha256(readFileSync(pulled))).toBe(sha256(data));
    expect(done.device?.result).toMatchObject({ changed: true, verifiedWith: `sha256:${sha256(data)}` });
  }, 180_000);

  it('holds a pull when the device detaches mid-way, keeps running, and finishes it with a matching hash once it attaches again', async () => {
    const data = randomData(64_000);
    dev.putFile(remote, data);
    dev.clearRequestLog();
    dev.setDelayMs(40);
    const pull = (await syncDevice(env.socket, id)).find((t) => t.direction === 'download');
    expect(pull, 'the sync queues the pull').toBeDefined();
    await waitTransfer(env.socket, pull!.id, (t) => t.state === 'running' && t.bytesTransferred >= 12_000, 60_000, 'the pull under way');

    dev.unplug();
    await waitFor(async () => (await deviceState())?.state === 'absent', 20_000, `${id} listed absent after the detach`, 250);
    const held = await waitTransfer(env.socket, pull!.id, (t) => t.state === 'waiting' && t.reasons.some((r) => r.code === 'device-disconnected'), 30_000, 'waiting with device-disconnected');
    expect(held.bytesTransferred).toBeLessThan(data.length);
    expect(await healthy(env.socket)).toBe(true);
    const readsBefore = dev.fsReadOffsets(remote).length;

    dev.setDelayMs(0);
    dev.replug();
    await devicePresent(env.socket, id);
    const done = await waitTransfer(env.socket, pull!.id, isFinished, 90_000, 'the pull finished after the attach');
    expect(done.error).toBeNull();
    expect(done.state).toBe('completed');
    expect(sha256(readFileSync(pulled))).toBe(sha256(data));
    expect(dev.fsReadOffsets(remote).slice(readsBefore)[0]).toBeGreaterThan(0);
    // And the link is whole again: ferry's own client answers through it.
    expect(await ferryctlEcho(env.socket, id, 'rig-usb-after-replug')).toContain('rig-usb-after-replug');
  }, 240_000);
});
