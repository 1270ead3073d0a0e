import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listSerialPorts } from '../../../drivers/serial/list-ports.js';

let root: string;
const sys = () => join(root, 'sys');
const dev = () => join(root, 'dev');

async function file(path: string, text: string) {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, `${text}\n`);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ferry-sysfs-'));
  const usb = join(sys(), 'devices/pci0000:00/0000:00:14.0/usb1/1-2');
  // CDC-ACM: the tty's device link points at the USB interface.
  await file(join(usb, 'idVendor'), '2fe3');
  await file(join(usb, 'idProduct'), '0100');
  await file(join(usb, 'serial'), 'ABC123');
  await file(join(usb, 'manufacturer'), 'ZEPHYR');
  await file(join(usb, 'product'), 'USB-DEV');
  await file(join(usb, '1-2:1.0/bInterfaceNumber'), '00');
  await mkdir(join(usb, '1-2:1.0/tty/ttyACM0'), { recursive: true });
  await symlink('../../../1-2:1.0', join(usb, '1-2:1.0/tty/ttyACM0/device'));
  // usb-serial (FTDI): tty under a ttyUSB0 node below the interface.
  const ftdi = join(sys(), 'devices/pci0000:00/0000:00:14.0/usb1/1-3');
  await file(join(ftdi, 'idVendor'), '0403');
  await file(join(ftdi, 'idProduct'), '6001');
  await mkdir(join(ftdi, '1-3:1.0/ttyUSB0/tty/ttyUSB0'), { recursive: true });
  await symlink('../../../ttyUSB0', join(ftdi, '1-3:1.0/ttyUSB0/tty/ttyUSB0/device'));
  // 8250 platform ports: ttyS0 real (type 4), ttyS1 phantom (type 0).
  const plat = join(sys(), 'devices/platform/serial8250');
  await mkdir(join(sys(), 'bus/platform/drivers/serial8250'), { recursive: true });
  await mkdir(plat, { recursive: true });
  await symlink('../../../bus/platform/drivers/serial8250', join(plat, 'driver'));
  for (const [n, type] of [['ttyS0', '4'], ['ttyS1', '0']] as const) {
    await file(join(plat, 'tty', n, 'type'), type);
    await symlink('../../../serial8250', join(plat, 'tty', n, 'device'));
  }
  // A virtual tty without a device link.
  await mkdir(join(sys(), 'devices/virtual/tty/tty0'), { recursive: true });
  const cls = join(sys(), 'class/tty');
  await mkdir(cls, { recursive: true });
  await symlink('../../devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0/tty/ttyACM0', join(cls, 'ttyACM0'));
  await symlink('../../devices/pci0000:00/0000:00:14.0/usb1/1-3/1-3:1.0/ttyUSB0/tty/ttyUSB0', join(cls, 'ttyUSB0'));
  await symlink('../../devices/platform/serial8250/tty/ttyS0', join(cls, 'ttyS0'));
  await symlink('../../devices/platform/serial8250/tty/ttyS1', join(cls, 'ttyS1'));
  await symlink('../../devices/virtual/tty/tty0', join(cls, 'tty0'));
  await mkdir(join(dev(), 'serial/by-id'), { recursive: true });
  await symlink('../../ttyACM0', join(dev(), 'serial/by-id/usb-ZEPHYR_USB-DEV_ABC123-if00'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('listSerialPorts', () => {
  it('lists USB and real UART ports with identity from sysfs and by-id links', async () => {
    const ports = await listSerialPorts({ sysRoot: sys(), devRoot: dev() });
    expect(ports.map((p) => p.name)).toEqual(['ttyACM0', 'ttyS0', 'ttyUSB0']);
    expect(ports[0]).toMatchObject({
      path: join(dev(), 'ttyACM0'),
      byId: join(dev(), 'serial/by-id/usb-ZEPHYR_USB-DEV_ABC123-if00'),
      vendorId: '2fe3',
      productId: '0100',
      serialNumber: 'ABC123',
      manufacturer: 'ZEPHYR',
      product: 'USB-DEV',
      interfaceNumber: '00',
    });
    expect(ports[1]).toMatchObject({ driver: 'serial8250', vendorId: undefined, byId: undefined });
    expect(ports[2]).toMatchObject({ vendorId: '0403', productId: '6001' });
  });

  it('returns nothing when sysfs has no tty class', async () => {
    expect(await listSerialPorts({ sysRoot: join(root, 'missing'), devRoot: dev() })).toEqual([]);
  });
});
