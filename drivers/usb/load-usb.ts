// Loads the `usb` package lazily and checks it can enumerate (libusb/nusb present, /sys/bus/usb there).
// Returns null instead of throwing, so an agent on a host without USB support keeps running.
import type { TransportError } from '../transport.js';
import { adaptUsbRs, type UsbRsNative } from './usb-rs-adapter.js';
import { usbUnavailableError } from './usb-errors.js';
import type { UsbLike } from './usb-like.js';

export interface LoadUsbOptions {
  /** Replaces `import('usb/index.js')`, the usb 3.x native binding (tests). */
  importer?: () => Promise<unknown>;
  onUnavailable?: (error: TransportError) => void;
  /** Hotplug failures after loading (e.g. udev monitor lost); default: ignored. */
  onHotplugError?: (e: unknown) => void;
}

export async function loadUsb(opts: LoadUsbOptions = {}): Promise<UsbLike | null> {
  const importer = opts.importer ?? (() => import('usb/index.js'));
  try {
    const mod = (await importer()) as Partial<UsbRsNative> & { default?: Partial<UsbRsNative> };
    const native = (typeof mod.nativeGetDevices === 'function' ? mod : mod.default) as UsbRsNative | undefined;
    if (typeof native?.nativeGetDevices !== 'function' || typeof native.Emitter !== 'function') {
      throw new Error('unsupported usb package API (expected usb 3.x with nativeGetDevices and Emitter)');
    }
    const usb = adaptUsbRs(native, opts.onHotplugError);
    // Enumerate once now: this is where a host without /sys/bus/usb or USB permissions fails.
    await usb.getDeviceList();
    return usb;
  } catch (e) {
    opts.onUnavailable?.(usbUnavailableError(e));
    return null;
  }
}
