// Finds the tty the kernel's cdc_acm driver made for a USB device, so it can go to the serial driver:
// /sys/bus/usb/devices/<bus>-<ports>:<cfg>.<if>/tty/ttyACMn → /dev/ttyACMn. The sysfs root is injected.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { usbPortPath, type UsbDeviceLike } from './usb-like.js';

export type CdcAcmLocation = Pick<UsbDeviceLike, 'busNumber' | 'portNumbers'> & { configurationValue?: number };

async function list(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

async function ttyIn(ifaceDir: string): Promise<string | undefined> {
  const inTtyDir = (await list(join(ifaceDir, 'tty'))).find((n) => /^ttyACM\d+$/.test(n));
  if (inTtyDir !== undefined) return inTtyDir;
  // Kernels built with CONFIG_SYSFS_DEPRECATED expose "tty:ttyACM0" links directly in the interface.
  const legacy = (await list(ifaceDir)).find((n) => /^tty:ttyACM\d+$/.test(n));
  return legacy?.slice('tty:'.length);
}

/**
 * The /dev path of the device's ACM tty, or null if the kernel has not (yet) bound cdc_acm to it.
 * With `interfaceNumber` only that interface is looked at; otherwise every interface of the device.
 */
export async function findCdcAcmTty(sysfsRoot: string, dev: CdcAcmLocation, interfaceNumber?: number): Promise<string | null> {
  const devices = join(sysfsRoot, 'bus', 'usb', 'devices');
  const prefix = `${usbPortPath(dev)}:`;
  const names =
    interfaceNumber !== undefined && dev.configurationValue !== undefined
      ? [`${prefix}${dev.configurationValue}.${interfaceNumber}`]
      : (await list(devices))
          .filter((n) => n.startsWith(prefix) && (interfaceNumber === undefined || n.endsWith(`.${interfaceNumber}`)))
          .sort();
  for (const name of names) {
    const tty = await ttyIn(join(devices, name));
    if (tty !== undefined) return `/dev/${tty}`;
  }
  return null;
}
