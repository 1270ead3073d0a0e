// Makes the Transport a configured device is reached by: SMP over serial (by path, or the tty of a USB
// id found in sysfs), UDP, BLE or USB (CDC-ACM tty or vendor bulk), or a LineTransport for `lines`.
// Returns an unopened transport; a missing device is TransportError NOT_FOUND, a missing library UNAVAILABLE.
import { stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import { TransportError, type Transport } from '../../drivers/transport.js';
import { SerialTransport } from '../../drivers/serial/serial-transport.js';
import { LineTransport } from '../../drivers/serial/line-transport.js';
import { listSerialPorts } from '../../drivers/serial/list-ports.js';
import { UdpTransport } from '../../drivers/udp/udp-transport.js';
import { BleTransport } from '../../drivers/ble/ble-transport.js';
import { UsbBulkTransport } from '../../drivers/usb/usb-bulk-transport.js';
import { matchUsbDevice, type UsbFingerprint } from '../../drivers/usb/fingerprint.js';
import { findCdcAcmTty } from '../../drivers/usb/cdc-acm-tty.js';
import type { DeviceConfig, DeviceTransportConfig } from '../config/sections/devices.js';
import type { DeviceHardware } from './device-hardware.js';

export function usbFingerprint(t: DeviceTransportConfig, name?: string): UsbFingerprint {
  const f: UsbFingerprint = { vid: parseInt(t.vid ?? '0', 16) };
  if (t.pid !== undefined) f.pid = parseInt(t.pid, 16);
  if (t.serial !== undefined) f.serial = t.serial;
  if (t.usbClass !== undefined) f.class = t.usbClass;
  if (name !== undefined) f.name = name;
  return f;
}

/** The tty of a serial device: its configured path, or the port whose USB identity matches. */
export async function resolveSerialPath(t: DeviceTransportConfig, hw: DeviceHardware): Promise<string> {
  if (t.path) {
    // bindings-cpp reports a missing node as a plain Error without errno: say NOT_FOUND here instead.
    const there = await stat(t.path).then(() => true, () => false);
    if (!there) throw new TransportError('NOT_FOUND', `${t.path} does not exist`);
    return t.path;
  }
  const vid = t.vid?.toLowerCase();
  const pid = t.pid?.toLowerCase();
  const ports = await listSerialPorts({ sysRoot: hw.sysRoot, devRoot: hw.devRoot });
  const hit = ports.find(
    (p) => p.vendorId?.toLowerCase() === vid && (pid === undefined || p.productId?.toLowerCase() === pid) && (t.serial === undefined || p.serialNumber === t.serial),
  );
  if (!hit) throw new TransportError('NOT_FOUND', `no serial port with USB id ${[t.vid, t.pid, t.serial].filter(Boolean).join(':')}`);
  return hit.byId ?? hit.path;
}

async function serialBinding(hw: DeviceHardware) {
  const b = await hw.serial();
  if (b.ok === null) throw b.error;
  return b.ok;
}

/** An unopened SMP transport for the device. */
export async function createSmpTransport(d: DeviceConfig, hw: DeviceHardware, log?: Logger): Promise<Transport> {
  const t = d.transport;
  switch (t.kind) {
    case 'serial': {
      const binding = await serialBinding(hw);
      const path = await resolveSerialPath(t, hw);
      return new SerialTransport(binding, {
        path, baudRate: t.baud, rtscts: t.rtscts, lineLength: t.lineLength,
        ...(t.mtu ? { mtu: t.mtu } : {}), ...(t.pacing ? { pacing: t.pacing } : {}),
      });
    }
    case 'udp':
      return new UdpTransport(hw.createUdpSocket, { host: t.host ?? '', port: t.port, ...(t.mtu ? { mtu: t.mtu } : {}) });
    case 'ble': {
      const noble = await hw.noble();
      return new BleTransport({
        noble: noble.ok,
        ...(noble.error ? { unavailable: noble.error } : {}),
        target: { ...(t.address ? { address: t.address } : {}), ...(t.name ? { name: t.name } : {}) },
        ...(log ? { log } : {}),
      });
    }
    case 'usb': {
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
      throw new TransportError('NOT_FOUND', `no USB device matches ${[t.vid, t.pid, t.serial].filter(Boolean).join(':')}`);
    }
  }
}

/** An unopened line transport for a `lines` device (serial only). */
export async function createLineTransport(d: DeviceConfig, hw: DeviceHardware): Promise<LineTransport> {
  const t = d.transport;
  if (t.kind !== 'serial') throw new TransportError('UNAVAILABLE', 'the lines protocol needs a serial transport');
  const binding = await serialBinding(hw);
  const path = await resolveSerialPath(t, hw);
  return new LineTransport(binding, { path, baudRate: t.baud, rtscts: t.rtscts, maxLineLength: d.lines.maxLineLength, ...(t.pacing ? { pacing: t.pacing } : {}) });
}
