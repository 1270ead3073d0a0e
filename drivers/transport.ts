// One interface for every way ferry reaches a device (serial, BLE, USB, UDP). A transport moves whole
// packets (an SMP packet, or a line for line-oriented devices); framing is the driver's business.
import type { EventEmitter } from 'node:events';

export type TransportErrorCode = 'NOT_FOUND' | 'BUSY' | 'DISCONNECTED' | 'TIMEOUT' | 'UNAVAILABLE' | 'IO';

export class TransportError extends Error {
  readonly code: TransportErrorCode;
  constructor(code: TransportErrorCode, message: string, opts: { cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'TransportError';
    this.code = code;
  }
}

export function isTransportError(e: unknown): e is TransportError {
  return e instanceof TransportError;
}

/**
 * Events: 'packet' (Uint8Array), 'close' (reason?: TransportError), 'error' (TransportError).
 * After 'close' the transport is dead; open a new one to reconnect.
 */
export interface Transport extends EventEmitter {
  readonly kind: 'serial' | 'ble' | 'usb' | 'udp';
  /** Human description, e.g. "serial:/dev/ttyACM0" */
  readonly description: string;
  /** Largest packet the transport carries in one `send` (SMP: the reassembled packet size limit). */
  readonly mtu: number;
  readonly isOpen: boolean;
  open(): Promise<void>;
  send(packet: Uint8Array): Promise<void>;
  close(): Promise<void>;
}
