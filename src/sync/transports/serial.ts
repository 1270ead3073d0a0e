// Serial transport provider: SMP console framing over a tty found by path or by USB id (sysfs); the tty
// node existing is presence, polled every presencePollMs. Also opens the `lines` protocol's transport.
import { stat } from 'node:fs/promises';
import { TransportError, type Transport } from '../../../drivers/transport.js';
import { SerialTransport } from '../../../drivers/serial/serial-transport.js';
import { LineTransport } from '../../../drivers/serial/line-transport.js';
import { listSerialPorts } from '../../../drivers/serial/list-ports.js';
import type { SerialBindingLike } from '../../../drivers/serial/serial-port-link.js';
import type { DeviceConfig, DeviceTransportConfig } from '../../config/sections/devices.js';
import type { DeviceHardware } from '../device-hardware.js';
import { ConnectSpecError, usbIdOf, type TransportProvider } from './transport-provider.js';

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
  if (!hit) throw new TransportError('NOT_FOUND', `no serial port with USB id ${usbIdOf(t)}`);
  return hit.byId ?? hit.path;
}

export async function serialBinding(hw: DeviceHardware): Promise<SerialBindingLike> {
  const b = await hw.serial();
  if (b.ok === null) throw b.error;
  return b.ok;
}

/** An unopened line transport for a `lines` device. */
export async function openLineTransport(d: DeviceConfig, hw: DeviceHardware): Promise<LineTransport> {
  const t = d.transport;
  if (t.kind !== 'serial') throw new TransportError('UNAVAILABLE', 'the lines protocol needs a serial transport');
  const binding = await serialBinding(hw);
  const path = await resolveSerialPath(t, hw);
  return new LineTransport(binding, { path, baudRate: t.baud, rtscts: t.rtscts, maxLineLength: d.lines.maxLineLength, ...(t.pacing ? { pacing: t.pacing } : {}) });
}

/** Whether the device's node is there now, and if not, why. */
async function lookForNode(t: DeviceTransportConfig, hw: DeviceHardware): Promise<string | null> {
  try {
    const path = await resolveSerialPath(t, hw);
    const there = await stat(path).then((s) => !s.isDirectory(), () => false);
    return there ? null : `${path} does not exist`;
  } catch (err) {
    return (err as Error).message;
  }
}

const OPTION_KEYS: Record<string, 'baud' | 'lineLength' | 'mtu'> = { baud: 'baud', line: 'lineLength', mtu: 'mtu' };

export const serialProvider: TransportProvider<'serial'> = {
  kind: 'serial',
  afterLoss: null,
  connectSyntax: 'serial:PATH[,baud=N,line=N,mtu=N]',

  validate: (t) => (!t.path && !t.vid ? 'a serial transport needs "path" or a USB "vid" (and "pid"/"serial") to find the tty' : null),

  describe: (t) => (t.path ? `serial:${t.path}` : `serial:usb=${usbIdOf(t)}`),

  async open(d, hw): Promise<Transport> {
    const t = d.transport;
    const binding = await serialBinding(hw);
    const path = await resolveSerialPath(t, hw);
    return new SerialTransport(binding, {
      path, baudRate: t.baud, rtscts: t.rtscts, lineLength: t.lineLength,
      ...(t.mtu ? { mtu: t.mtu } : {}), ...(t.pacing ? { pacing: t.pacing } : {}),
    });
  },

  async watch(devices, sink, { hw }) {
    const binding = await hw.serial();
    if (binding.ok === null) {
      for (const d of devices) sink.unavailable(d.id, binding.error.message);
      return { stop: () => undefined };
    }
    let stopped = false;
    const poll = async (d: DeviceConfig) => {
      const missing = await lookForNode(d.transport, hw);
      if (stopped) return;
      if (missing === null) sink.seen(d.id);
      else sink.gone(d.id, missing);
    };
    const timers: NodeJS.Timeout[] = [];
    for (const d of devices) {
      await poll(d);
      const t = setInterval(() => void poll(d), d.transport.presencePollMs);
      t.unref();
      timers.push(t);
    }
    return {
      stop: () => {
        stopped = true;
        for (const t of timers) clearInterval(t);
      },
    };
  },

  parseConnect(rest) {
    const [path, ...opts] = rest.split(',');
    if (!path) throw new ConnectSpecError('serial needs a path, e.g. serial:/dev/ttyACM0');
    const t: Record<string, unknown> = { kind: 'serial', path };
    for (const o of opts) {
      const [k = '', v] = o.split('=');
      const key = OPTION_KEYS[k];
      if (key === undefined) throw new ConnectSpecError(`unknown serial option ${k} (baud, line, mtu)`);
      const n = Number(v);
      if (!Number.isInteger(n) || n <= 0) throw new ConnectSpecError(`${k} needs a positive integer`);
      t[key] = n;
    }
    return t;
  },
};
