// A usb module stand-in (behind drivers/usb/usb-like.ts): hotplug attach/detach, CDC-ACM and vendor-class
// devices; the vendor interface answers one SMP packet per bulk OUT via an SMP handler and returns the
// responses on bulk IN. Knobs: split IN transfers, hang OUT transfers, busy claims, enumeration failure.
import { EventEmitter } from 'node:events';
import type { UsbDeviceLike, UsbEndpointLike, UsbInterfaceLike } from '../../../drivers/usb/usb-like.js';
import type { SmpHandler } from '../ble-sim/smp-echo-responder.js';

const noDevice = (): Error => Object.assign(new Error('LIBUSB_ERROR_NO_DEVICE: No such device (it may have been disconnected)'), { errno: -4, code: 'LIBUSB_ERROR_NO_DEVICE' });

export interface FakeUsbDeviceOptions {
  vid: number;
  pid: number;
  serial?: string;
  /** True: like libusb, the serial is only readable through getStringDescriptor after open(). */
  serialViaDescriptor?: boolean;
  busNumber?: number;
  portNumbers?: number[];
  configurationValue?: number;
  /** Which interfaces the device has. */
  functions?: Array<'vendor' | 'cdc-acm'>;
  handler?: SmpHandler;
  /** Device sends each response in IN transfers of at most this many bytes. */
  inTransferSize?: number;
}

function ep(address: number, transferType: UsbEndpointLike['transferType'], maxPacketSize = 512): UsbEndpointLike {
  return { address, direction: address & 0x80 ? 'in' : 'out', transferType, maxPacketSize };
}

export class FakeUsbDevice implements UsbDeviceLike {
  readonly busNumber: number;
  readonly portNumbers: number[];
  readonly deviceDescriptor: UsbDeviceLike['deviceDescriptor'];
  readonly configurationValue: number;
  readonly interfaces: UsbInterfaceLike[] = [];
  readonly serialNumber: string | undefined;
  handler: SmpHandler | undefined;
  opened = false;
  detached = false;
  openCount = 0;
  claimed = new Set<number>();
  /** Interfaces some other process holds: claim() fails with BUSY. */
  busyInterfaces = new Set<number>();
  /** OUT transfers never complete (until detach), as with a wedged device. */
  hangOut = false;
  readonly outTransfers: Uint8Array[] = [];
  readonly inTransfers: Uint8Array[] = [];
  private readonly serial: string | undefined;
  private readonly inTransferSize: number | undefined;
  private readonly inQueue: Uint8Array[] = [];
  private readonly waiters = new Set<{ resolve: () => void; reject: (e: Error) => void }>();

  constructor(opts: FakeUsbDeviceOptions) {
    this.busNumber = opts.busNumber ?? 1;
    this.portNumbers = opts.portNumbers ?? [1];
    this.configurationValue = opts.configurationValue ?? 1;
    this.serial = opts.serial;
    this.serialNumber = opts.serialViaDescriptor ? undefined : opts.serial;
    this.deviceDescriptor = { idVendor: opts.vid, idProduct: opts.pid, iSerialNumber: opts.serial ? 3 : 0, bDeviceClass: 0xef };
    this.handler = opts.handler;
    this.inTransferSize = opts.inTransferSize;
    let n = 0;
    for (const f of opts.functions ?? ['vendor']) {
      if (f === 'cdc-acm') {
        this.addInterface(n++, 0x02, 0x02, 0x01, [ep(0x83, 'interrupt', 16)]);
        this.addInterface(n++, 0x0a, 0x00, 0x00, [ep(0x82, 'bulk'), ep(0x02, 'bulk')]);
      } else {
        this.addInterface(n++, 0xff, 0x00, 0x00, [ep(0x81, 'bulk'), ep(0x01, 'bulk')]);
      }
    }
  }

  private addInterface(num: number, cls: number, sub: number, proto: number, endpoints: UsbEndpointLike[]): void {
    this.interfaces.push({
      interfaceNumber: num,
      interfaceClass: cls,
      interfaceSubClass: sub,
      interfaceProtocol: proto,
      endpoints,
      claim: async () => {
        this.check();
        if (!this.opened) throw new Error('LIBUSB_ERROR_IO: device not open');
        if (this.busyInterfaces.has(num)) throw new Error('LIBUSB_ERROR_BUSY: Resource busy');
        this.claimed.add(num);
      },
      release: async () => {
        this.claimed.delete(num);
      },
    });
  }

  private check(): void {
    if (this.detached) throw noDevice();
  }

  async open(): Promise<void> {
    this.check();
    this.opened = true;
    this.openCount++;
  }

  async close(): Promise<void> {
    this.opened = false;
    this.claimed.clear();
    this.failWaiters(new Error('LIBUSB_ERROR_INTERRUPTED: device closed'));
  }

  async getStringDescriptor(index: number): Promise<string | undefined> {
    this.check();
    if (!this.opened) throw new Error('LIBUSB_ERROR_IO: device not open');
    return index === 3 ? this.serial : undefined;
  }

  async transferOut(address: number, data: Uint8Array): Promise<void> {
    await new Promise((r) => setImmediate(r));
    this.check();
    if (!this.claimed.size) throw new Error('LIBUSB_ERROR_IO: interface not claimed');
    // A wedged OUT transfer only ends when the device goes away.
    while (this.hangOut) {
      await new Promise<void>((resolve, reject) => this.waiters.add({ resolve, reject }));
      this.check();
    }
    const packet = Uint8Array.from(data);
    this.outTransfers.push(packet);
    if (address !== 0x01 || this.handler === undefined) return;
    for (const rsp of await this.handler.handle(packet)) {
      const size = this.inTransferSize ?? rsp.length;
      for (let off = 0; off < rsp.length; off += size) this.inQueue.push(rsp.slice(off, off + size));
    }
    this.wake();
  }

  /** One IN transfer: the next thing the device sends, cut to `length`. Waits for data; ignores the timeout. */
  async transferIn(address: number, length: number): Promise<Uint8Array | null> {
    for (;;) {
      this.check();
      if (!this.opened) throw new Error('LIBUSB_ERROR_IO: device not open');
      const head = this.inQueue[0];
      if (head !== undefined && address === 0x81) {
        const out = head.slice(0, length);
        if (out.length === head.length) this.inQueue.shift();
        else this.inQueue[0] = head.slice(length);
        this.inTransfers.push(out);
        return out;
      }
      await new Promise<void>((resolve, reject) => this.waiters.add({ resolve, reject }));
    }
  }

  /** Bytes the device sends without being asked (tests feed odd splits through this). */
  sendRaw(bytes: Uint8Array): void {
    this.inQueue.push(bytes);
    this.wake();
  }

  unplug(): void {
    this.detached = true;
    this.opened = false;
    this.failWaiters(noDevice());
  }

  private wake(): void {
    const ws = [...this.waiters];
    this.waiters.clear();
    for (const w of ws) w.resolve();
  }

  private failWaiters(e: Error): void {
    const ws = [...this.waiters];
    this.waiters.clear();
    for (const w of ws) w.reject(e);
  }
}

export class FakeUsb extends EventEmitter {
  readonly devices: FakeUsbDevice[] = [];
  /** getDeviceList() rejects with this (no /sys/bus/usb, no libusb). */
  enumerationError: Error | undefined;

  async getDeviceList(): Promise<UsbDeviceLike[]> {
    if (this.enumerationError) throw this.enumerationError;
    return [...this.devices];
  }

  /** Plugs a device in (emits 'attach' when `announce`, i.e. after startup). */
  plug(opts: FakeUsbDeviceOptions, announce = true): FakeUsbDevice {
    const d = new FakeUsbDevice(opts);
    // SmpDeviceSim's 'disconnect' (disconnectAfterBytes knob) unplugs the device.
    (opts.handler as Partial<EventEmitter> | undefined)?.on?.('disconnect', () => this.unplug(d));
    this.devices.push(d);
    if (announce) setImmediate(() => this.emit('attach', d));
    return d;
  }

  unplug(d: FakeUsbDevice): void {
    const i = this.devices.indexOf(d);
    if (i >= 0) this.devices.splice(i, 1);
    d.unplug();
    setImmediate(() => this.emit('detach', d));
  }
}

/** An importer for loadUsb() that fails like a usb build whose native library cannot load. */
export function failingUsbImport(): () => Promise<unknown> {
  return () => Promise.reject(new Error('libusb-1.0.so.0: cannot open shared object file: No such file or directory'));
}
