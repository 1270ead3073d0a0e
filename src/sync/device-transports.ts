// Makes the Transport a configured device is reached by, through its kind's provider (transports/):
// an unopened SMP transport, or a LineTransport for the `lines` protocol (serial only).
// A missing device is TransportError NOT_FOUND, a missing library UNAVAILABLE.
import type { Logger } from 'pino';
import type { Transport } from '../../drivers/transport.js';
import type { LineTransport } from '../../drivers/serial/line-transport.js';
import type { DeviceConfig } from '../config/sections/devices.js';
import type { DeviceHardware } from './device-hardware.js';
import { providerFor } from './transports/providers.js';
import { openLineTransport } from './transports/serial.js';

/** An unopened SMP transport for the device. */
export function createSmpTransport(d: DeviceConfig, hw: DeviceHardware, log?: Logger): Promise<Transport> {
  return providerFor(d.transport.kind).open(d, hw, log);
}

/** An unopened line transport for a `lines` device (serial only). */
export function createLineTransport(d: DeviceConfig, hw: DeviceHardware): Promise<LineTransport> {
  return openLineTransport(d, hw);
}
