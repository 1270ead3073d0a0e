// The hardware device sync reaches devices through: a serialport binding, UDP sockets, noble and usb,
// each loaded on first use and at most once. A library that cannot load yields null plus the reason,
// so the devices that need it are reported `unavailable` and the agent keeps running.
import { createRequire } from 'node:module';
import { createSocket } from 'node:dgram';
import { TransportError } from '../../drivers/transport.js';
import type { SerialBindingLike } from '../../drivers/serial/serial-port-link.js';
import type { CreateUdpSocket } from '../../drivers/udp/udp-transport.js';
import type { NobleLike } from '../../drivers/ble/noble-like.js';
import { loadNoble } from '../../drivers/ble/load-noble.js';
import type { UsbLike } from '../../drivers/usb/usb-like.js';
import { loadUsb } from '../../drivers/usb/load-usb.js';

/** A library, or why it is missing. */
export type Loaded<T> = { ok: T; error?: undefined } | { ok: null; error: TransportError };

export interface DeviceHardware {
  serial(): Promise<Loaded<SerialBindingLike>>;
  createUdpSocket: CreateUdpSocket;
  noble(): Promise<Loaded<NobleLike>>;
  usb(): Promise<Loaded<UsbLike>>;
  /** sysfs and /dev roots for serial port listing (tests point them at fixtures). */
  sysRoot: string;
  devRoot: string;
}

function once<T>(load: () => Promise<Loaded<T>>): () => Promise<Loaded<T>> {
  let p: Promise<Loaded<T>> | undefined;
  return () => (p ??= load());
}

/** Production hardware: `@serialport/bindings-cpp` autoDetect(), node:dgram, @abandonware/noble, usb. */
export function systemHardware(opts: { sysRoot?: string; devRoot?: string; onUsbProblem?: (e: unknown) => void } = {}): DeviceHardware {
  return {
    serial: once(async () => {
      try {
        const require = createRequire(import.meta.url);
        const mod = require('@serialport/bindings-cpp') as { autoDetect(): SerialBindingLike };
        return { ok: mod.autoDetect() };
      } catch (e) {
        return { ok: null, error: new TransportError('UNAVAILABLE', `serial ports are not available: ${(e as Error).message}`, { cause: e }) };
      }
    }),
    createUdpSocket: (type) => createSocket(type),
    noble: once(async () => {
      let error = new TransportError('UNAVAILABLE', 'Bluetooth is not available');
      const noble = await loadNoble({ onUnavailable: (e) => (error = e) });
      return noble ? { ok: noble } : { ok: null, error };
    }),
    usb: once(async () => {
      let error = new TransportError('UNAVAILABLE', 'USB is not available');
      const usb = await loadUsb({ onUnavailable: (e) => (error = e), onHotplugError: opts.onUsbProblem });
      return usb ? { ok: usb } : { ok: null, error };
    }),
    sysRoot: opts.sysRoot ?? '/sys',
    devRoot: opts.devRoot ?? '/dev',
  };
}
