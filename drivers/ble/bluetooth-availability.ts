// Turns "Bluetooth can't be used here" (no kernel support, no adapter, no permission, powered off)
// into one TransportError UNAVAILABLE with a message an operator can act on. Never throws itself.
import { TransportError } from '../transport.js';

const STATE_MESSAGES: Record<string, string> = {
  unsupported: 'Bluetooth adapter does not support Bluetooth Low Energy (state unsupported)',
  unauthorized:
    'not allowed to use the Bluetooth adapter (state unauthorized): run ferryd with CAP_NET_RAW and CAP_NET_ADMIN',
  poweredOff: 'Bluetooth adapter is powered off or rfkill-blocked (state poweredOff)',
};

/** UNAVAILABLE for adapter states that will not become usable by waiting; null for poweredOn/unknown/resetting. */
export function adapterStateError(state: string): TransportError | null {
  const message = STATE_MESSAGES[state];
  return message === undefined ? null : new TransportError('UNAVAILABLE', message);
}

function errnoCode(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  const msg = (e as { message?: unknown }).message;
  return typeof msg === 'string' ? /\b(E[A-Z]{3,})\b/.exec(msg)?.[1] : undefined;
}

/** Wraps an error thrown while loading or initialising noble (HCI socket creation or bind). */
export function bluetoothLoadError(e: unknown): TransportError {
  const code = errnoCode(e);
  let message: string;
  switch (code) {
    case 'EAFNOSUPPORT':
      message = 'Bluetooth is not available: the kernel has no Bluetooth support (EAFNOSUPPORT)';
      break;
    case 'ENODEV':
      message = 'Bluetooth is not available: no Bluetooth adapter found (ENODEV)';
      break;
    case 'EPERM':
    case 'EACCES':
      message = `Bluetooth is not available: permission denied (${code}); ferryd needs CAP_NET_RAW and CAP_NET_ADMIN`;
      break;
    case 'ERR_MODULE_NOT_FOUND':
    case 'MODULE_NOT_FOUND':
      message = 'Bluetooth is not available: the noble module is not installed';
      break;
    default:
      message = `Bluetooth is not available: ${e instanceof Error ? e.message : String(e)}`;
  }
  return new TransportError('UNAVAILABLE', message, { cause: e });
}
