// USB transport provider: a vendor-class interface (SMP over bulk endpoints) or a CDC-ACM function
// (SMP console framing over its tty), matched by vid/pid/serial; hotplug attach/detach is presence.
import { TransportError, type Transport } from '../../../drivers/transport.js';
import { SerialTransport } from '../../../drivers/serial/serial-transport.js';
import { UsbBulkTransport } from '../../../drivers/usb/usb-bulk-transport.js';
import { matchUsbDevice, type UsbFingerprint } from '../../../drivers/usb/fingerprint.js';
import { findCdcAcmTty } from '../../../drivers/usb/cdc-acm-tty.js';
import { UsbWatch, type UsbMatch } from '../../../drivers/usb/usb-watch.js';
import type { DeviceTransportConfig } from '../../config/sections/devices.js';
import { serialBinding } from './serial.js';
import { ConnectSpecError, usbIdOf, type TransportProvider } from './transport-provider.js';

const HEX4 = /^[0-9a-fA-F]{4}$/;

/** The USB identity to match; `name` carries the device id so a watch's matches map back to devices. */
export function usbFingerprint(t: DeviceTransportConfig, name?: string): UsbFingerprint {
  const f: UsbFingerprint = { vid: parseInt(t.vid ?? '0', 16) };
  if (t.pid !== undefined) f.pid = parseInt(t.pid, 16);
  if (t.serial !== undefined) f.serial = t.serial;
  if (t.usbClass !== undefined) f.class = t.usbClass;
  if (name !== undefined) f.name = name;
  return f;
}

export const usbProvider: TransportProvider<'usb'> = {
  kind: 'usb',
  afterLoss: null,
  connectSyntax: 'usb:VID:PID[:SERIAL]',

  validate: (t) => (!t.vid ? 'a usb transport needs "vid"' : null),

  describe: (t) => `usb:${usbIdOf(t)}`,

  async open(d, hw, log): Promise<Transport> {
    const t = d.transport;
    const usb = await hw.usb();
    if (usb.ok === null) throw usb.error;
    const fp = usbFingerprint(t, d.id);
    for (const dev of await usb.ok.getDeviceList()) {
      const m = await matchUsbDevice(dev, [fp]);
      if (!m) continue;
      if (m.kind === 'vendor') {
        return new UsbBulkTransport({ device: dev, usb: usb.ok, interfaceNumber: m.interfaceNumber, ...(t.mtu ? { mtu: t.mtu } : {}), ...(log ? { log } : {}) });
      }
      const tty = await findCdcAcmTty(hw.sysRoot, dev, m.interfaceNumber);
      if (!tty) throw new TransportError('NOT_FOUND', `USB device ${d.id} has no CDC-ACM tty (yet)`);
      return new SerialTransport(await serialBinding(hw), { path: tty, baudRate: t.baud, lineLength: t.lineLength, ...(t.mtu ? { mtu: t.mtu } : {}) });
    }
    throw new TransportError('NOT_FOUND', `no USB device matches ${usbIdOf(t)}`);
  },

  async watch(devices, sink, { hw, log }) {
    const usb = await hw.usb();
    if (usb.ok === null) {
      for (const d of devices) sink.unavailable(d.id, usb.error.message);
      return { stop: () => undefined };
    }
    const watch = new UsbWatch({ usb: usb.ok, fingerprints: devices.map((d) => usbFingerprint(d.transport, d.id)), sysfsRoot: hw.sysRoot, log });
    watch.on('attach', (m: UsbMatch) => m.fingerprint.name !== undefined && sink.arrived(m.fingerprint.name));
    watch.on('detach', (m: UsbMatch) => m.fingerprint.name !== undefined && sink.gone(m.fingerprint.name, `${m.description} detached`));
    try {
      const attached = new Set((await watch.start()).map((m) => m.fingerprint.name));
      for (const d of devices) if (!attached.has(d.id)) sink.gone(d.id, 'not attached');
    } catch (err) {
      for (const d of devices) sink.unavailable(d.id, (err as Error).message);
    }
    return { stop: () => watch.stop() };
  },

  parseConnect(rest) {
    const [vid, pid, serial] = rest.split(':');
    if (!vid || !HEX4.test(vid) || (pid !== undefined && !HEX4.test(pid))) throw new ConnectSpecError('usb needs VID:PID[:SERIAL] in hex, e.g. usb:2fe3:0100');
    return { kind: 'usb', vid, ...(pid ? { pid } : {}), ...(serial ? { serial } : {}) };
  },
};
