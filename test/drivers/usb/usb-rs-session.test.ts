// A bulk session over usb 3.x's native binding as it behaves on Linux (seen on the virtual rig): an idle
// IN transfer that times out is reported "Cancelled", and close/release throw synchronously while a
// transfer still holds the device. Neither may end the session, crash the agent or leave it claimed.
import { describe, expect, it } from 'vitest';
import { adaptUsbRs, type UsbRsDevice, type UsbRsNative } from '../../../drivers/usb/usb-rs-adapter.js';
import { UsbBulkTransport } from '../../../drivers/usb/usb-bulk-transport.js';
import { waitFor } from '../../support/wait.js';

/** One vendor device whose native calls borrow it like napi-rs does: close/release during a transfer throw. */
function borrowingDevice() {
  const state = { busy: 0, opened: false, claimed: false, inCalls: 0 };
  const borrowError = () => Object.assign(new Error('The same native value cannot be borrowed mutably while another borrow is active'), { code: 'InvalidArg' });
  const exclusive = <T>(f: () => T): T => {
    if (state.busy > 0) throw borrowError();
    return f();
  };
  const device: UsbRsDevice = {
    handle: 'h1', vendorId: 0x1209, productId: 0x0002, deviceClass: 0, bus: '2', ports: [1],
    serialNumber: null, manufacturerName: null, productName: null,
    configuration: {
      configurationValue: 1,
      interfaces: [{ interfaceNumber: 0, alternate: { interfaceClass: 0xff, interfaceSubclass: 0, interfaceProtocol: 0, endpoints: [
        { endpointNumber: 2, direction: 'in', type: 'bulk', packetSize: 512 },
        { endpointNumber: 1, direction: 'out', type: 'bulk', packetSize: 512 },
      ] } }],
    },
    open: () => exclusive(() => ((state.opened = true), Promise.resolve())),
    close: () => exclusive(() => ((state.opened = false), Promise.resolve())),
    claimInterface: () => exclusive(() => {
      if (state.claimed) return Promise.reject(new Error('claimInterface error: interface is busy'));
      state.claimed = true;
      return Promise.resolve();
    }),
    releaseInterface: () => exclusive(() => ((state.claimed = false), Promise.resolve())),
    // Nothing to read: each IN waits out its timeout and ends "Cancelled", as nusb reports it.
    nativeTransferIn: (_ep, timeout) => {
      state.inCalls++;
      state.busy++;
      return new Promise((_resolve, reject) => setTimeout(() => (state.busy--, reject(new Error('transferIn error: Cancelled'))), Math.min(timeout, 20)));
    },
    nativeTransferOut: async (_ep, _timeout, data) => data.length,
  };
  const native: UsbRsNative = {
    nativeGetDevices: async () => [device],
    Emitter: class {
      async addAttach() {}
      async removeAttach() {}
      async addDetach() {}
      async removeDetach() {}
    },
  };
  return { native, state };
}

describe('a USB bulk session on usb 3.x', () => {
  it('treats an IN transfer that times out as "Cancelled" as an idle poll, not a lost device', async () => {
    const { native, state } = borrowingDevice();
    const [dev] = await adaptUsbRs(native).getDeviceList();
    const t = new UsbBulkTransport({ device: dev!, pollTimeoutMs: 20 });
    const closes: unknown[] = [];
    t.on('close', (r: unknown) => closes.push(r));
    await t.open();
    await waitFor(() => state.inCalls >= 4, 2000, 'several idle polls');
    expect(t.isOpen).toBe(true);
    expect(closes).toEqual([]);
    await t.close();
  });

  it('close() during a pending IN transfer still releases the interface, so the next session can claim it', async () => {
    const { native, state } = borrowingDevice();
    const [dev] = await adaptUsbRs(native).getDeviceList();
    const first = new UsbBulkTransport({ device: dev!, pollTimeoutMs: 20 });
    await first.open();
    await waitFor(() => state.busy > 0, 1000, 'an IN transfer in flight');
    await first.close();
    expect(state).toMatchObject({ claimed: false, opened: false });
    const second = new UsbBulkTransport({ device: dev!, pollTimeoutMs: 20 });
    await second.open();
    expect(second.isOpen).toBe(true);
    await second.close();
  });

  it('adapter calls that throw synchronously reject instead of escaping', async () => {
    const { native, state } = borrowingDevice();
    const [dev] = await adaptUsbRs(native).getDeviceList();
    state.busy = 1;
    await expect(dev!.close()).rejects.toThrow(/borrowed mutably/);
    await expect(dev!.interfaces[0]!.release()).rejects.toThrow(/borrowed mutably/);
    state.busy = 0;
  });
});
