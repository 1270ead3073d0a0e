// Maps USB library failures onto TransportError codes, once, where they enter the driver.
import { TransportError } from '../transport.js';

/** True when an error means the device is gone (unplugged, reset away), across libusb, nusb and the simulator. */
export function isUsbGone(e: unknown): boolean {
  const text = `${(e as { code?: unknown })?.code ?? ''} ${(e as { message?: unknown })?.message ?? String(e)}`;
  return /NO_DEVICE|No such device|ENODEV|disconnected|NotFoundError|device (was )?(removed|gone)/i.test(text);
}

/** Wraps a failure to load or enumerate USB (no libusb, no /sys/bus/usb, no permission) as UNAVAILABLE. */
export function usbUnavailableError(e: unknown): TransportError {
  const msg = e instanceof Error ? e.message : String(e);
  const code = (e as { code?: unknown })?.code;
  const why =
    code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND'
      ? 'the usb module is not installed'
      : /sys\/bus\/usb|udev|libusb/i.test(msg)
        ? `USB enumeration failed (${msg}); is /sys mounted and udev running?`
        : msg;
  return new TransportError('UNAVAILABLE', `USB is not available: ${why}`, { cause: e });
}
