// Chooses which USB devices are ferry's, from a table of fingerprints (VID, PID, serial, class), and how
// to reach them: a CDC-ACM tty (serial driver) or a vendor-class bulk pair (usb-bulk-transport).
// Serial numbers are read only when a fingerprint needs one, since that may require opening the device.
import type { UsbDeviceLike, UsbInterfaceLike } from './usb-like.js';

export type UsbClassName = 'cdc-acm' | 'vendor';

export interface UsbFingerprint {
  vid: number;
  pid?: number;
  serial?: string;
  /** Which interface to use; when absent, a vendor bulk interface is preferred, then CDC-ACM. */
  class?: UsbClassName;
  /** Free label carried through to matches (e.g. the device name in config). */
  name?: string;
}

export interface UsbFingerprintMatch {
  fingerprint: UsbFingerprint;
  kind: UsbClassName;
  interfaceNumber: number;
  serial: string | undefined;
}

// USB-IF class codes: CDC Communications 0x02 with Abstract Control Model subclass 0x02; vendor 0xFF.
const CLASS_CDC = 0x02;
const SUBCLASS_ACM = 0x02;
const CLASS_VENDOR = 0xff;

function hasBulkPair(i: UsbInterfaceLike): boolean {
  const bulk = i.endpoints.filter((e) => e.transferType === 'bulk');
  return bulk.some((e) => e.direction === 'in') && bulk.some((e) => e.direction === 'out');
}

/** The interface number that provides `kind` on this device, if any. */
export function findClassInterface(interfaces: readonly UsbInterfaceLike[], kind: UsbClassName): number | undefined {
  const hit =
    kind === 'cdc-acm'
      ? interfaces.find((i) => i.interfaceClass === CLASS_CDC && i.interfaceSubClass === SUBCLASS_ACM)
      : interfaces.find((i) => i.interfaceClass === CLASS_VENDOR && hasBulkPair(i));
  return hit?.interfaceNumber;
}

/** More specific fingerprints win over broader ones (a serial beats a PID beats a bare VID). */
function specificity(f: UsbFingerprint): number {
  return (f.serial !== undefined ? 4 : 0) + (f.pid !== undefined ? 2 : 0) + (f.class !== undefined ? 1 : 0);
}

/** Reads the serial number: from the library if it has it, else via the string descriptor (opens the device). */
export async function readUsbSerial(dev: UsbDeviceLike): Promise<string | undefined> {
  if (dev.serialNumber !== undefined) return dev.serialNumber;
  const index = dev.deviceDescriptor.iSerialNumber;
  if (!index) return undefined;
  try {
    await dev.open();
    try {
      return await dev.getStringDescriptor(index);
    } finally {
      await dev.close().catch(() => undefined);
    }
  } catch {
    // Unreadable (permissions, device busy): treat as no serial, so serial fingerprints don't match.
    return undefined;
  }
}

/** Matches a device against the table; undefined if no fingerprint fits or it offers no usable interface. */
export async function matchUsbDevice(dev: UsbDeviceLike, table: readonly UsbFingerprint[]): Promise<UsbFingerprintMatch | undefined> {
  const { idVendor, idProduct } = dev.deviceDescriptor;
  const candidates = table
    .filter((f) => f.vid === idVendor && (f.pid === undefined || f.pid === idProduct))
    .sort((a, b) => specificity(b) - specificity(a));
  if (candidates.length === 0) return undefined;
  const serial = candidates.some((f) => f.serial !== undefined) ? await readUsbSerial(dev) : dev.serialNumber;
  for (const f of candidates) {
    if (f.serial !== undefined && f.serial !== serial) continue;
    const kinds: UsbClassName[] = f.class !== undefined ? [f.class] : ['vendor', 'cdc-acm'];
    for (const kind of kinds) {
      const interfaceNumber = findClassInterface(dev.interfaces, kind);
      if (interfaceNumber !== undefined) return { fingerprint: f, kind, interfaceNumber, serial };
    }
  }
  return undefined;
}
