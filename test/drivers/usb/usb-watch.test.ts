import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { UsbFingerprint } from '../../../drivers/usb/fingerprint.js';
import { UsbWatch, type UsbMatch } from '../../../drivers/usb/usb-watch.js';
import { TransportError } from '../../../drivers/transport.js';
import { ManualClock } from '../../support/ble-sim/manual-clock.js';
import { FakeUsb } from '../../support/usb-sim/fake-usb.js';
import { makeTempDir } from '../../support/tmp.js';
import { waitFor } from '../../support/wait.js';

const table: UsbFingerprint[] = [
  { vid: 0x2fe3, pid: 0x0100, class: 'cdc-acm', name: 'acm-board' },
  { vid: 0x2fe3, pid: 0x0200, class: 'vendor', name: 'bulk-board' },
];

const tmp = makeTempDir('ferry-usbwatch-');
afterAll(() => tmp.cleanup());

function addTty(portPath: string, tty: string): void {
  const dir = join(tmp.path, 'devices', `${portPath}:1.0`);
  mkdirSync(join(dir, 'tty', tty), { recursive: true });
  mkdirSync(join(tmp.path, 'bus/usb/devices'), { recursive: true });
  symlinkSync(dir, join(tmp.path, 'bus/usb/devices', `${portPath}:1.0`));
}

function rig(clock = new ManualClock()) {
  const usb = new FakeUsb();
  const watch = new UsbWatch({ usb, fingerprints: table, sysfsRoot: tmp.path, timers: clock, ttyWaitMs: 1_000, ttyPollMs: 100 });
  const events: Array<[string, UsbMatch]> = [];
  watch.on('attach', (m: UsbMatch) => events.push(['attach', m]));
  watch.on('detach', (m: UsbMatch) => events.push(['detach', m]));
  return { usb, watch, events, clock };
}

describe('UsbWatch', () => {
  it('reports matching devices already plugged in at start, and only those', async () => {
    const { usb, watch, events } = rig();
    usb.plug({ vid: 0x2fe3, pid: 0x0200, portNumbers: [3] }, false);
    usb.plug({ vid: 0x046d, pid: 0xc52b, portNumbers: [4] }, false);
    const present = await watch.start();
    expect(present.map((m) => [m.fingerprint.name, m.kind, m.portPath, m.interfaceNumber])).toEqual([['bulk-board', 'vendor', '1-3', 0]]);
    expect(events.map(([e]) => e)).toEqual(['attach']);
    watch.stop();
  });

  it('emits attach and detach as a vendor device is plugged and unplugged', async () => {
    const { usb, watch, events } = rig();
    await watch.start();
    const d = usb.plug({ vid: 0x2fe3, pid: 0x0200, portNumbers: [1, 4] });
    usb.plug({ vid: 0x1234, pid: 0x0001 });
    await waitFor(() => events.length === 1, 2000, 'attach');
    expect(events[0]![1]).toMatchObject({ kind: 'vendor', description: 'usb:2fe3:0200@1-1.4' });
    expect(watch.matches).toHaveLength(1);
    usb.unplug(d);
    await waitFor(() => events.length === 2, 2000, 'detach');
    expect(events[1]![0]).toBe('detach');
    expect(events[1]![1].device).toBe(d);
    expect(watch.matches).toHaveLength(0);
    watch.stop();
  });

  it('hands a CDC-ACM device over as its /dev/ttyACMn path found in sysfs', async () => {
    const { usb, watch, events } = rig();
    addTty('1-1.2', 'ttyACM3');
    await watch.start();
    usb.plug({ vid: 0x2fe3, pid: 0x0100, portNumbers: [1, 2], functions: ['cdc-acm'] });
    await waitFor(() => events.length === 1, 2000, 'attach');
    expect(events[0]![1]).toMatchObject({ kind: 'cdc-acm', ttyPath: '/dev/ttyACM3' });
    watch.stop();
  });

  it('waits for the tty that cdc_acm creates after the USB attach', async () => {
    const { usb, watch, events, clock } = rig();
    await watch.start();
    usb.plug({ vid: 0x2fe3, pid: 0x0100, portNumbers: [1, 5], functions: ['cdc-acm'] });
    await waitFor(() => clock.pending().length > 0, 2000, 'tty poll');
    expect(events).toHaveLength(0);
    addTty('1-1.5', 'ttyACM4');
    await clock.advance(100);
    await waitFor(() => events.length === 1, 2000, 'attach');
    expect(events[0]![1].ttyPath).toBe('/dev/ttyACM4');
    watch.stop();
  });

  it('reports ttyPath null when no tty shows up in time', async () => {
    const { usb, watch, events, clock } = rig();
    await watch.start();
    usb.plug({ vid: 0x2fe3, pid: 0x0100, portNumbers: [1, 6], functions: ['cdc-acm'] });
    // Each poll reads sysfs (real I/O) before arming the next timer, so step the clock poll by poll.
    for (let waited = 0; waited < 1_000; waited += 100) {
      await waitFor(() => clock.pending().length > 0, 2000, 'tty poll');
      expect(events).toHaveLength(0);
      await clock.advance(100);
    }
    await waitFor(() => events.length === 1, 2000, 'attach');
    expect(events[0]![1].ttyPath).toBeNull();
    watch.stop();
  });

  it('rejects start() with UNAVAILABLE when USB support is missing, without throwing elsewhere', async () => {
    const missing = new UsbWatch({ usb: null, fingerprints: table, unavailable: new TransportError('UNAVAILABLE', 'USB is not available: no libusb') });
    await expect(missing.start()).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('libusb') });
    const { usb, watch } = rig();
    usb.enumerationError = new Error('getDevices error: /sys/bus/usb/devices/ not found (errno 2)');
    await expect(watch.start()).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('/sys/bus/usb') });
    expect(usb.listenerCount('attach')).toBe(0);
  });
});
