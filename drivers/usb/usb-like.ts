// The part of a USB library the USB drivers use, shaped after node-usb's Device/Interface/Endpoint but
// promise-based. Production gets it from load-usb.ts (an adapter over `usb` 3.x); tests from usb-sim.
export type UsbTransferType = 'control' | 'isochronous' | 'bulk' | 'interrupt';

export interface UsbEndpointLike {
  /** bEndpointAddress: endpoint number, with bit 7 set for IN. */
  readonly address: number;
  readonly direction: 'in' | 'out';
  readonly transferType: UsbTransferType;
  readonly maxPacketSize: number;
}

export interface UsbInterfaceLike {
  readonly interfaceNumber: number;
  readonly interfaceClass: number;
  readonly interfaceSubClass: number;
  readonly interfaceProtocol: number;
  readonly endpoints: readonly UsbEndpointLike[];
  claim(): Promise<void>;
  release(): Promise<void>;
}

export interface UsbDeviceDescriptorLike {
  readonly idVendor: number;
  readonly idProduct: number;
  /** String descriptor index of the serial number; 0 = none. */
  readonly iSerialNumber: number;
  readonly bDeviceClass: number;
}

export interface UsbDeviceLike {
  readonly busNumber: number;
  /** Port chain from the root hub, e.g. [1, 2] for sysfs "1-1.2". */
  readonly portNumbers: readonly number[];
  readonly deviceDescriptor: UsbDeviceDescriptorLike;
  /** bConfigurationValue of the active configuration (the ":<cfg>" in sysfs interface names). */
  readonly configurationValue: number;
  /** Interfaces of the active configuration (first alternate setting); readable without open(). */
  readonly interfaces: readonly UsbInterfaceLike[];
  /** Set when the library already knows the serial without a descriptor request (usb 3.x). */
  readonly serialNumber?: string;
  open(): Promise<void>;
  close(): Promise<void>;
  getStringDescriptor(index: number): Promise<string | undefined>;
  /** One IN transfer of up to `length` bytes; null when `timeoutMs` passed without data. */
  transferIn(endpointAddress: number, length: number, timeoutMs: number): Promise<Uint8Array | null>;
  /** One OUT transfer carrying all of `data`. */
  transferOut(endpointAddress: number, data: Uint8Array, timeoutMs: number): Promise<void>;
}

export interface UsbLike {
  getDeviceList(): Promise<UsbDeviceLike[]>;
  /** 'detach' passes the same object 'attach' or getDeviceList() gave for that device. */
  on(event: 'attach' | 'detach', listener: (device: UsbDeviceLike) => void): unknown;
  removeListener(event: 'attach' | 'detach', listener: (device: UsbDeviceLike) => void): unknown;
}

/** sysfs name of the device: "<bus>-<port>.<port>…", e.g. "1-1.2". */
export function usbPortPath(d: Pick<UsbDeviceLike, 'busNumber' | 'portNumbers'>): string {
  return `${d.busNumber}-${d.portNumbers.join('.')}`;
}

/** The same physical device: same object, or same port path and IDs (libraries may rewrap on detach). */
export function sameUsbDevice(a: UsbDeviceLike, b: UsbDeviceLike): boolean {
  return (
    a === b ||
    (usbPortPath(a) === usbPortPath(b) &&
      a.deviceDescriptor.idVendor === b.deviceDescriptor.idVendor &&
      a.deviceDescriptor.idProduct === b.deviceDescriptor.idProduct)
  );
}

const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

export function describeUsbDevice(d: UsbDeviceLike): string {
  return `usb:${hex4(d.deviceDescriptor.idVendor)}:${hex4(d.deviceDescriptor.idProduct)}@${usbPortPath(d)}`;
}
