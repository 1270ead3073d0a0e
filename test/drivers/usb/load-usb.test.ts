import { describe, expect, it } from 'vitest';
import { loadUsb } from '../../../drivers/usb/load-usb.js';
import { adaptUsbRs, type UsbRsDevice, type UsbRsNative } from '../../../drivers/usb/usb-rs-adapter.js';
import type { UsbDeviceLike } from '../../../drivers/usb/usb-like.js';
import type { TransportError } from '../../../drivers/transport.js';
import { failingUsbImport } from '../../support/usb-sim/fake-usb.js';
import { waitFor } from '../../support/wait.js';

/** A stand-in for usb 3.x's native binding: one vendor device, hotplug callbacks under test control. */
function fakeNative(opts: { hotplugFails?: boolean; enumerateFails?: boolean } = {}) {
  const calls: string[] = [];
  const hooks: { attach?: (d: UsbRsDevice) => void; detach?: (h: string) => void } = {};
  const device = (handle: string): UsbRsDevice => ({
    handle,
    vendorId: 0x2fe3,
    productId: 0x0200,
    deviceClass: 0xef,
    bus: '3',
    ports: [1, 4],
    serialNumber: 'SN-9',
    manufacturerName: 'ACME',
    productName: 'Board',
    configuration: {
      configurationValue: 1,
      interfaces: [
        {
          interfaceNumber: 0,
          alternate: {
            interfaceClass: 0xff,
            interfaceSubclass: 0,
            interfaceProtocol: 0,
            endpoints: [
              { endpointNumber: 1, direction: 'in', type: 'bulk', packetSize: 512 },
              { endpointNumber: 1, direction: 'out', type: 'bulk', packetSize: 512 },
            ],
          },
        },
      ],
    },
    open: async () => void calls.push('open'),
    close: async () => void calls.push('close'),
    claimInterface: async (n) => void calls.push(`claim ${n}`),
    releaseInterface: async (n) => void calls.push(`release ${n}`),
    nativeTransferIn: async (ep, _timeout, len) => {
      calls.push(`in ${ep} ${len}`);
      if (len === 1) throw new Error('Transfer timed out');
      return new Uint8Array([7]);
    },
    nativeTransferOut: async (ep, _timeout, data) => (calls.push(`out ${ep} ${data.length}`), data.length),
  });
  const native: UsbRsNative = {
    nativeGetDevices: async () => {
      if (opts.enumerateFails) throw Object.assign(new Error('getDevices error: /sys/bus/usb/devices/ not found (errno 2)'), { code: 'GenericFailure' });
      return [device('h1')];
    },
    Emitter: class {
      async addAttach(cb: (d: UsbRsDevice) => void) {
        if (opts.hotplugFails) throw new Error('udev monitor: No such file or directory');
        hooks.attach = cb;
      }
      async removeAttach() {}
      async addDetach(cb: (h: string) => void) {
        hooks.detach = cb;
      }
      async removeDetach() {}
    },
  };
  return { native, calls, hooks, device };
}

describe('loadUsb', () => {
  it('returns null and reports UNAVAILABLE when the native USB library cannot load', async () => {
    let reason: TransportError | undefined;
    expect(await loadUsb({ importer: failingUsbImport(), onUnavailable: (e) => (reason = e) })).toBeNull();
    expect(reason).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/libusb/) });
  });

  it('returns null when enumeration fails (no /sys/bus/usb)', async () => {
    let reason: TransportError | undefined;
    const { native } = fakeNative({ enumerateFails: true });
    expect(await loadUsb({ importer: async () => native, onUnavailable: (e) => (reason = e) })).toBeNull();
    expect(reason?.message).toMatch(/\/sys\/bus\/usb/);
  });

  it('never throws with the real usb module, whatever this machine has', async () => {
    let reason: TransportError | undefined;
    const usb = await loadUsb({ onUnavailable: (e) => (reason = e) });
    if (usb === null) {
      console.info(`real usb unavailable here: ${reason?.message}`);
      expect(reason?.code).toBe('UNAVAILABLE');
    } else {
      expect(Array.isArray(await usb.getDeviceList())).toBe(true);
    }
  });
});

describe('adaptUsbRs (usb 3.x)', () => {
  it('skips a device it may not read (root hub as an unprivileged user) and lists the others', async () => {
    const { native, device } = fakeNative();
    const locked = device('hub');
    Object.defineProperty(locked, 'configuration', {
      get() {
        throw new Error('open error: permission denied (errno 13)');
      },
    });
    native.nativeGetDevices = async () => [locked, device('h1')];
    const problems: string[] = [];
    const list = await adaptUsbRs(native, (e) => problems.push((e as Error).message)).getDeviceList();
    expect(list.map((d) => d.deviceDescriptor.idProduct)).toEqual([0x0200]);
    expect(problems).toEqual([expect.stringMatching(/skipping USB device 2fe3:200: open error: permission denied/)]);
  });

  it('presents devices with sysfs location, descriptor fields, serial and endpoint addresses', async () => {
    const { native } = fakeNative();
    const [d] = await adaptUsbRs(native).getDeviceList();
    expect(d).toMatchObject({
      busNumber: 3,
      portNumbers: [1, 4],
      configurationValue: 1,
      serialNumber: 'SN-9',
      deviceDescriptor: { idVendor: 0x2fe3, idProduct: 0x0200, iSerialNumber: 3 },
    });
    expect(d!.interfaces[0]!.endpoints.map((e) => [e.address, e.direction, e.transferType])).toEqual([
      [0x81, 'in', 'bulk'],
      [0x01, 'out', 'bulk'],
    ]);
    expect(await d!.getStringDescriptor(3)).toBe('SN-9');
  });

  it('maps transfers to endpoint numbers and turns a timeout into null', async () => {
    const { native, calls } = fakeNative();
    const [d] = await adaptUsbRs(native).getDeviceList();
    expect(await d!.transferIn(0x81, 64, 100)).toEqual(new Uint8Array([7]));
    expect(await d!.transferIn(0x81, 1, 100)).toBeNull();
    await d!.transferOut(0x01, new Uint8Array(3), 100);
    expect(calls).toEqual(['in 1 64', 'in 1 1', 'out 1 3']);
  });

  it('emits detach with the same object it listed, looked up by native handle', async () => {
    const { native, hooks, device } = fakeNative();
    const usb = adaptUsbRs(native);
    const [listed] = await usb.getDeviceList();
    const seen: Array<[string, UsbDeviceLike]> = [];
    usb.on('attach', (d) => seen.push(['attach', d]));
    usb.on('detach', (d) => seen.push(['detach', d]));
    await waitFor(() => hooks.detach !== undefined, 1000, 'hotplug registration');
    hooks.attach!(device('h2'));
    hooks.detach!('h1');
    expect(seen.map(([e]) => e)).toEqual(['attach', 'detach']);
    expect(seen[1]![1]).toBe(listed);
  });

  it('hands a failing hotplug setup to onError instead of crashing the process', async () => {
    const { native } = fakeNative({ hotplugFails: true });
    const errors: unknown[] = [];
    const usb = adaptUsbRs(native, (e) => errors.push(e));
    usb.on('attach', () => undefined);
    await waitFor(() => errors.length === 1, 1000, 'hotplug error');
    expect(String(errors[0])).toMatch(/udev/);
  });
});
