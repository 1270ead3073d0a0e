import { describe, expect, it } from 'vitest';
import { matchUsbDevice, type UsbFingerprint } from '../../../drivers/usb/fingerprint.js';
import { FakeUsbDevice } from '../../support/usb-sim/fake-usb.js';

const ZEPHYR = 0x2fe3;

describe('matchUsbDevice', () => {
  const table: UsbFingerprint[] = [
    { vid: ZEPHYR, name: 'any-zephyr' },
    { vid: ZEPHYR, pid: 0x0100, class: 'cdc-acm', name: 'zephyr-acm' },
    { vid: ZEPHYR, pid: 0x0100, serial: 'SN-42', class: 'vendor', name: 'bench-unit' },
    { vid: 0x1915, pid: 0x521f, class: 'vendor', name: 'nordic-bulk' },
  ];

  it('matches by VID alone and picks the vendor bulk interface over CDC-ACM', async () => {
    const d = new FakeUsbDevice({ vid: ZEPHYR, pid: 0x0005, functions: ['cdc-acm', 'vendor'] });
    expect(await matchUsbDevice(d, table)).toMatchObject({ fingerprint: { name: 'any-zephyr' }, kind: 'vendor', interfaceNumber: 2 });
  });

  it('prefers the more specific fingerprint (VID+PID+class over VID)', async () => {
    const d = new FakeUsbDevice({ vid: ZEPHYR, pid: 0x0100, functions: ['cdc-acm'] });
    expect(await matchUsbDevice(d, table)).toMatchObject({ fingerprint: { name: 'zephyr-acm' }, kind: 'cdc-acm', interfaceNumber: 0 });
  });

  it('matches a serial number and uses that entry', async () => {
    const d = new FakeUsbDevice({ vid: ZEPHYR, pid: 0x0100, serial: 'SN-42', functions: ['cdc-acm', 'vendor'] });
    expect(await matchUsbDevice(d, table)).toMatchObject({ fingerprint: { name: 'bench-unit' }, kind: 'vendor', serial: 'SN-42' });
  });

  it('falls back to a broader entry when the serial differs', async () => {
    const d = new FakeUsbDevice({ vid: ZEPHYR, pid: 0x0100, serial: 'SN-7', functions: ['cdc-acm', 'vendor'] });
    expect(await matchUsbDevice(d, table)).toMatchObject({ fingerprint: { name: 'zephyr-acm' }, kind: 'cdc-acm' });
  });

  it('reads the serial through the string descriptor when the library does not have it, and closes again', async () => {
    const d = new FakeUsbDevice({ vid: ZEPHYR, pid: 0x0100, serial: 'SN-42', serialViaDescriptor: true, functions: ['vendor'] });
    expect(d.serialNumber).toBeUndefined();
    expect(await matchUsbDevice(d, table)).toMatchObject({ fingerprint: { name: 'bench-unit' }, serial: 'SN-42' });
    expect(d.openCount).toBe(1);
    expect(d.opened).toBe(false);
  });

  it('does not open devices when no fingerprint asks for a serial', async () => {
    const d = new FakeUsbDevice({ vid: 0x1915, pid: 0x521f, serial: 'X', serialViaDescriptor: true });
    expect(await matchUsbDevice(d, table)).toMatchObject({ fingerprint: { name: 'nordic-bulk' } });
    expect(d.openCount).toBe(0);
  });

  it('ignores devices whose IDs are not in the table, or that lack the required class', async () => {
    expect(await matchUsbDevice(new FakeUsbDevice({ vid: 0x046d, pid: 0xc52b }), table)).toBeUndefined();
    expect(await matchUsbDevice(new FakeUsbDevice({ vid: 0x1915, pid: 0x521f, functions: ['cdc-acm'] }), table)).toBeUndefined();
  });
});
