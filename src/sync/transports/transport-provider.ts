// What ferry needs to know about one kind of transport (serial, usb, ble, udp): how to check and show its
// config, how to open it and how to see whether its devices are there. One provider per kind, listed in
// providers.ts; nothing else switches on the transport kind.
import type { Logger } from 'pino';
import type { Transport } from '../../../drivers/transport.js';
import type { DeviceConfig, DeviceTransportConfig } from '../../config/sections/devices.js';
import type { DeviceHardware } from '../device-hardware.js';

export type TransportKind = DeviceTransportConfig['kind'];

/** Where a provider's watch reports what it sees, by device id (DevicePresenceTracker implements it). */
export interface PresenceSink {
  /** A look found the device (a node exists): present, unless a job just lost it and it was not seen gone since. */
  seen(id: string): void;
  /** The device arrived (hotplug attach, or a kind presumed reachable): present at once. */
  arrived(id: string): void;
  gone(id: string, reason: string): void;
  /** The kind's library is missing: the device cannot be reached at all. */
  unavailable(id: string, reason: string): void;
}

export interface PresenceWatch {
  stop(): void;
}

export interface TransportProvider<K extends TransportKind = TransportKind> {
  readonly kind: K;
  /** The first problem with this transport's config that the schema cannot express, or null. */
  validate(t: DeviceTransportConfig): string | null;
  /** How the API and logs show it: "serial:/dev/ttyACM0", "udp:10.0.0.5:1337"… */
  describe(t: DeviceTransportConfig): string;
  /** An unopened SMP transport; rejects with TransportError NOT_FOUND (not there) or UNAVAILABLE (no library). */
  open(d: DeviceConfig, hw: DeviceHardware, log?: Logger): Promise<Transport>;
  /** Reports these devices' presence to `sink` until stop(); resolves once each was looked at. */
  watch(devices: readonly DeviceConfig[], sink: PresenceSink, ctx: { hw: DeviceHardware; log: Logger }): Promise<PresenceWatch>;
  /**
   * Kinds without a watcher (a connect attempt is the probe): the state a device lost by a job returns to
   * once the recheck period passed, so jobs try again. null: the watch reports its return.
   */
  readonly afterLoss: 'present' | 'unknown' | null;
  /** `ferryctl smp --connect KIND:REST`: the transport config fields; throws ConnectSpecError. */
  parseConnect(rest: string): Record<string, unknown>;
  /** The --connect syntax, e.g. "serial:PATH[,baud=N,line=N,mtu=N]". */
  readonly connectSyntax: string;
}

/** A --connect spec the provider cannot read; the message says what it needs. */
export class ConnectSpecError extends Error {}

/** "2fe3:0100:SN" from a config's USB identity (serial and usb kinds). */
export function usbIdOf(t: DeviceTransportConfig): string {
  return [t.vid, t.pid, t.serial].filter((x) => x !== undefined).join(':');
}
