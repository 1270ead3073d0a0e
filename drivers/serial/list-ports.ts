// Lists serial ports from sysfs (/sys/class/tty/*/device) with USB identity read from the sysfs
// parents, plus /dev/serial/by-id names. No udevadm: it is missing on many images.
import { readdir, readFile, readlink, realpath } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

export interface SerialPortInfo {
  /** Device node, e.g. /dev/ttyACM0 (under the given devRoot). */
  path: string;
  /** Kernel name, e.g. ttyACM0. */
  name: string;
  /** Stable /dev/serial/by-id path when udev made one. */
  byId: string | undefined;
  driver: string | undefined;
  vendorId: string | undefined;
  productId: string | undefined;
  serialNumber: string | undefined;
  manufacturer: string | undefined;
  product: string | undefined;
  /** USB interface number (bInterfaceNumber) for composite devices. */
  interfaceNumber: string | undefined;
}

export interface ListPortsOptions {
  /** Default "/sys". */
  sysRoot?: string;
  /** Default "/dev". */
  devRoot?: string;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

async function usbParent(start: string, stopAt: string): Promise<string | undefined> {
  // ttyACM: device -> interface dir, USB device one up; ttyUSB: device -> ttyUSBn dir under the interface.
  let dir = start;
  for (let i = 0; i < 6 && dir.startsWith(stopAt) && dir !== stopAt; i++) {
    if ((await readText(join(dir, 'idVendor'))) !== undefined) return dir;
    dir = dirname(dir);
  }
  return undefined;
}

async function byIdLinks(devRoot: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const dir = join(devRoot, 'serial', 'by-id');
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return out;
  }
  for (const n of names) {
    try {
      const target = await readlink(join(dir, n));
      out.set(basename(resolve(dir, target)), join(dir, n));
    } catch {
      // not a link: skip
    }
  }
  return out;
}

export async function listSerialPorts(opts: ListPortsOptions = {}): Promise<SerialPortInfo[]> {
  const sysRoot = opts.sysRoot ?? '/sys';
  const devRoot = opts.devRoot ?? '/dev';
  const classDir = join(sysRoot, 'class', 'tty');
  let names: string[];
  try {
    names = await readdir(classDir);
  } catch {
    return [];
  }
  const links = await byIdLinks(devRoot);
  const devicesRoot = await realpath(join(sysRoot, 'devices')).catch(() => join(sysRoot, 'devices'));
  const ports: SerialPortInfo[] = [];
  for (const name of names.sort()) {
    let device: string;
    try {
      device = await realpath(join(classDir, name, 'device'));
    } catch {
      continue; // virtual tty (console, ptmx, vt): no device link
    }
    const driver = await readlink(join(device, 'driver')).then((d) => basename(d)).catch(() => undefined);
    // The 8250 driver registers ttyS0..31 whether or not a UART exists; type 0 means "no port".
    if (driver === 'serial8250' && (await readText(join(classDir, name, 'type'))) === '0') continue;
    const usb = await usbParent(device, devicesRoot);
    const read = (f: string) => (usb ? readText(join(usb, f)) : Promise.resolve(undefined));
    ports.push({
      path: join(devRoot, name),
      name,
      byId: links.get(name),
      driver,
      vendorId: await read('idVendor'),
      productId: await read('idProduct'),
      serialNumber: await read('serial'),
      manufacturer: await read('manufacturer'),
      product: await read('product'),
      interfaceNumber: await readText(join(device, 'bInterfaceNumber')) ?? await readText(join(dirname(device), 'bInterfaceNumber')),
    });
  }
  return ports;
}
