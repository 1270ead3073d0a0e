// Presents the `usb` 3.x package (node-usb-rs: nusb under napi, WebUSB-shaped devices) as UsbLike.
// Uses its native layer (nativeGetDevices, Emitter) instead of the WebUSB class, because that class
// rethrows hotplug setup failures from a timer, which would crash the agent on hosts without udev.
import { EventEmitter } from 'node:events';
import type { UsbDeviceLike, UsbEndpointLike, UsbInterfaceLike, UsbLike, UsbTransferType } from './usb-like.js';

/** The slice of `usb/index.js` (3.x native binding) used here. */
export interface UsbRsNative {
  nativeGetDevices(): Promise<UsbRsDevice[]>;
  Emitter: new () => {
    addAttach(cb: (d: UsbRsDevice) => void): Promise<void>;
    removeAttach(): Promise<void>;
    addDetach(cb: (handle: string) => void): Promise<void>;
    removeDetach(): Promise<void>;
  };
}

export interface UsbRsDevice {
  readonly handle: string;
  vendorId: number;
  productId: number;
  deviceClass: number;
  bus: string;
  ports: number[];
  readonly serialNumber: string | null;
  readonly manufacturerName: string | null;
  readonly productName: string | null;
  readonly configuration: {
    configurationValue: number;
    interfaces: Array<{
      interfaceNumber: number;
      alternate: {
        interfaceClass: number;
        interfaceSubclass: number;
        interfaceProtocol: number;
        endpoints: Array<{ endpointNumber: number; direction: 'in' | 'out'; type: string; packetSize: number }>;
      };
    }>;
  } | null;
  open(): Promise<void>;
  close(): Promise<void>;
  claimInterface(n: number): Promise<void>;
  releaseInterface(n: number): Promise<void>;
  nativeTransferIn(endpointNumber: number, timeout: number, length: number): Promise<Uint8Array | null>;
  nativeTransferOut(endpointNumber: number, timeout: number, data: Uint8Array): Promise<number>;
}

function busNumber(bus: string): number {
  // nusb reports the bus id as a string ("1"); tolerate a "1-…" form.
  return Number.parseInt(bus, 10);
}

function wrapDevice(d: UsbRsDevice): UsbDeviceLike {
  const cfg = d.configuration;
  const interfaces: UsbInterfaceLike[] = (cfg?.interfaces ?? []).map((i) => ({
    interfaceNumber: i.interfaceNumber,
    interfaceClass: i.alternate.interfaceClass,
    interfaceSubClass: i.alternate.interfaceSubclass,
    interfaceProtocol: i.alternate.interfaceProtocol,
    endpoints: i.alternate.endpoints.map(
      (e): UsbEndpointLike => ({
        address: e.endpointNumber | (e.direction === 'in' ? 0x80 : 0),
        direction: e.direction,
        transferType: e.type as UsbTransferType,
        maxPacketSize: e.packetSize,
      }),
    ),
    // usb 3.x throws synchronously (not a rejected promise) when another call still holds the device
    // ("cannot be borrowed mutably…"): async wrappers turn that into a rejection callers can catch.
    claim: async () => d.claimInterface(i.interfaceNumber),
    release: async () => d.releaseInterface(i.interfaceNumber),
  }));
  // usb 3.x reads strings itself; give them the conventional indices so getStringDescriptor still works.
  const strings = new Map<number, string>();
  if (d.manufacturerName) strings.set(1, d.manufacturerName);
  if (d.productName) strings.set(2, d.productName);
  if (d.serialNumber) strings.set(3, d.serialNumber);
  return {
    busNumber: busNumber(d.bus),
    portNumbers: d.ports,
    deviceDescriptor: {
      idVendor: d.vendorId,
      idProduct: d.productId,
      iSerialNumber: d.serialNumber ? 3 : 0,
      bDeviceClass: d.deviceClass,
    },
    configurationValue: cfg?.configurationValue ?? 1,
    interfaces,
    ...(d.serialNumber ? { serialNumber: d.serialNumber } : {}),
    open: async () => d.open(),
    close: async () => d.close(),
    getStringDescriptor: async (index) => strings.get(index),
    transferIn: async (address, length, timeoutMs) => {
      try {
        const data = await d.nativeTransferIn(address & 0x0f, timeoutMs, length);
        // The WebUSB layer reads a null result as a stall; keep that meaning rather than spin on it.
        if (data === null) throw new Error(`bulk IN endpoint 0x${address.toString(16)} stalled`);
        return data;
      } catch (e) {
        // nusb ends a timed-out transfer by cancelling it: usb 3.x then reports "Cancelled", not a timeout.
        if (/timed? ?out|cancel+ed/i.test(String((e as Error)?.message ?? e))) return null;
        throw e;
      }
    },
    transferOut: async (address, data, timeoutMs) => {
      const n = await d.nativeTransferOut(address & 0x0f, timeoutMs, data);
      if (n < 0) throw new Error(`bulk OUT endpoint 0x${address.toString(16)} stalled`);
    },
  };
}

/** Errors from hotplug setup go to onError; they never escape as exceptions. */
export function adaptUsbRs(native: UsbRsNative, onError: (e: unknown) => void = () => undefined): UsbLike {
  const events = new EventEmitter();
  const known = new Map<string, UsbDeviceLike>();
  let emitter: InstanceType<UsbRsNative['Emitter']> | null = null;
  const wrap = (d: UsbRsDevice): UsbDeviceLike => {
    let w = known.get(d.handle);
    if (w === undefined) {
      w = wrapDevice(d);
      known.set(d.handle, w);
    }
    return w;
  };
  const listening = (): number => events.listenerCount('attach') + events.listenerCount('detach');
  const startHotplug = (): void => {
    const em = new native.Emitter();
    emitter = em;
    em.addAttach((d) => {
      const w = tryWrap(d);
      if (w) events.emit('attach', w);
    })
      .then(() =>
        em.addDetach((handle) => {
          const w = known.get(handle);
          known.delete(handle);
          if (w !== undefined) events.emit('detach', w);
        }),
      )
      .catch(onError);
  };
  const stopHotplug = (): void => {
    const em = emitter;
    emitter = null;
    em?.removeAttach().then(() => em.removeDetach()).catch(onError);
  };
  // Reading a device's descriptors can open it; as an unprivileged user that fails for the root hubs
  // (0664 root:root) and for anything not ours. One unreadable device must not make USB "unavailable":
  // it is skipped (and reported), the others are listed.
  const tryWrap = (d: UsbRsDevice): UsbDeviceLike | null => {
    try {
      return wrap(d);
    } catch (e) {
      onError(new Error(`skipping USB device ${d.vendorId?.toString(16) ?? '?'}:${d.productId?.toString(16) ?? '?'}: ${(e as Error)?.message ?? e}`, { cause: e }));
      return null;
    }
  };
  const api = {
    async getDeviceList(): Promise<UsbDeviceLike[]> {
      return (await native.nativeGetDevices()).map(tryWrap).filter((d): d is UsbDeviceLike => d !== null);
    },
    on(event: 'attach' | 'detach', listener: (d: UsbDeviceLike) => void) {
      const first = listening() === 0;
      events.on(event, listener);
      if (first) startHotplug();
      return api;
    },
    removeListener(event: 'attach' | 'detach', listener: (d: UsbDeviceLike) => void) {
      events.removeListener(event, listener);
      if (listening() === 0 && emitter !== null) stopHotplug();
      return api;
    },
  };
  return api;
}
