// Loads @abandonware/noble lazily and survives its failures: on Linux noble opens an HCI socket
// when loaded or first initialised, which throws EAFNOSUPPORT without kernel Bluetooth. Returns null then.
import type { TransportError } from '../transport.js';
import { bluetoothLoadError } from './bluetooth-availability.js';
import type { NobleLike } from './noble-like.js';

export interface LoadNobleOptions {
  /** Replaces `import('@abandonware/noble')` (tests). */
  importer?: () => Promise<unknown>;
  /** Told why Bluetooth is unavailable (an UNAVAILABLE TransportError) when null is returned. */
  onUnavailable?: (error: TransportError) => void;
}

export async function loadNoble(opts: LoadNobleOptions = {}): Promise<NobleLike | null> {
  const importer = opts.importer ?? (() => import('@abandonware/noble'));
  try {
    const mod = (await importer()) as { default?: unknown };
    const noble = (mod.default ?? mod) as NobleLike;
    // Reading `state` runs the bindings' init() synchronously (bind to hci0), so a missing adapter or
    // permission problem throws here instead of surfacing later as a console warning.
    void noble.state;
    return noble;
  } catch (e) {
    opts.onUnavailable?.(bluetoothLoadError(e));
    return null;
  }
}
