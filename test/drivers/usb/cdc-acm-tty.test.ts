import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCdcAcmTty } from '../../../drivers/usb/cdc-acm-tty.js';
import { makeTempDir } from '../../support/tmp.js';

// A sysfs fixture shaped like a Raspberry Pi's: /sys/bus/usb/devices/* are symlinks into /sys/devices.
function buildSysfs(root: string): void {
  const hub = join(root, 'devices/platform/soc/fe980000.usb/usb1/1-1');
  const link = (name: string, target: string) => {
    mkdirSync(target, { recursive: true });
    symlinkSync(target, join(root, 'bus/usb/devices', name));
  };
  mkdirSync(join(root, 'bus/usb/devices'), { recursive: true });
  link('1-1', hub);
  // Zephyr CDC-ACM board on hub port 2: tty under the control interface.
  link('1-1.2', join(hub, '1-1.2'));
  link('1-1.2:1.0', join(hub, '1-1.2/1-1.2:1.0'));
  link('1-1.2:1.1', join(hub, '1-1.2/1-1.2:1.1'));
  mkdirSync(join(hub, '1-1.2/1-1.2:1.0/tty/ttyACM0'), { recursive: true });
  writeFileSync(join(hub, '1-1.2/1-1.2:1.0/tty/ttyACM0/dev'), '166:0\n');
  // A second board whose CDC interfaces come after a vendor interface, on an old-style sysfs.
  link('1-1.3:1.2', join(hub, '1-1.3/1-1.3:1.2'));
  symlinkSync(join(root, 'class/tty/ttyACM1'), join(hub, '1-1.3/1-1.3:1.2/tty:ttyACM1'));
  // Bound to USB but cdc_acm not (yet) attached: no tty.
  link('1-1.4:1.0', join(hub, '1-1.4/1-1.4:1.0'));
}

describe('findCdcAcmTty', () => {
  const tmp = makeTempDir('ferry-sysfs-');
  beforeAll(() => buildSysfs(tmp.path));
  afterAll(() => tmp.cleanup());

  it('returns /dev/ttyACMn from <bus>-<ports>:<cfg>.<if>/tty', async () => {
    expect(await findCdcAcmTty(tmp.path, { busNumber: 1, portNumbers: [1, 2], configurationValue: 1 }, 0)).toBe('/dev/ttyACM0');
  });

  it('searches every interface of the device when no interface is given', async () => {
    expect(await findCdcAcmTty(tmp.path, { busNumber: 1, portNumbers: [1, 2] })).toBe('/dev/ttyACM0');
  });

  it('understands the older tty:ttyACMn link form', async () => {
    expect(await findCdcAcmTty(tmp.path, { busNumber: 1, portNumbers: [1, 3], configurationValue: 1 }, 2)).toBe('/dev/ttyACM1');
  });

  it('returns null while cdc_acm has not bound, and for unknown devices or a missing sysfs', async () => {
    expect(await findCdcAcmTty(tmp.path, { busNumber: 1, portNumbers: [1, 4], configurationValue: 1 }, 0)).toBeNull();
    expect(await findCdcAcmTty(tmp.path, { busNumber: 2, portNumbers: [7] })).toBeNull();
    expect(await findCdcAcmTty(join(tmp.path, 'nope'), { busNumber: 1, portNumbers: [1, 2] })).toBeNull();
  });
});
