// The one place a driver's TransportError becomes a FerryError: the device runner and `ferryctl smp`
// both call deviceError(), so a device problem has the same code in a job record, the API and the CLI.
import { isTransportError, type TransportErrorCode } from '../../drivers/transport.js';
import { asFerryError, FerryError, type ErrorCode } from '../errors.js';

const CODE_OF: Record<TransportErrorCode, ErrorCode> = {
  NOT_FOUND: 'DEVICE_NOT_FOUND',
  DISCONNECTED: 'DEVICE_DISCONNECTED',
  BUSY: 'DEVICE_BUSY',
  TIMEOUT: 'DEVICE_TIMEOUT',
  UNAVAILABLE: 'UNAVAILABLE',
  IO: 'DEVICE_IO_ERROR',
};

/** A TransportError as its FerryError (original kept as cause); FerryErrors pass; anything else is `fallback`. */
export function deviceError(e: unknown, fallback: ErrorCode = 'INTERNAL'): FerryError {
  if (isTransportError(e)) return new FerryError(CODE_OF[e.code], e.message, { cause: e });
  return asFerryError(e, fallback);
}
