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
  /** noble's switches (NOBLE_HCI_DEVICE_ID, HCI_CHANNEL_USER) are read from here; default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** The part of noble's HCI socket bindings the user-channel fix touches (noble 1.9, lib/hci-socket). */
interface HciBindingsLike {
  _hci?: { readLeBufferSize?: () => void };
}

/**
 * noble 1.9 on an HCI user channel (HCI_CHANNEL_USER) resets the controller but never reads its ACL
 * buffer sizes (only the raw-channel init does), so every ATT write waits forever for buffer credits
 * and each connection times out in service discovery. Ask for them whenever the adapter powers on.
 */
function fixUserChannelBuffers(noble: NobleLike, env: NodeJS.ProcessEnv): void {
  if (!env.HCI_CHANNEL_USER) return;
  const hci = (noble as NobleLike & { _bindings?: HciBindingsLike })._bindings?._hci;
  if (typeof hci?.readLeBufferSize !== 'function') return;
  noble.on('stateChange', (state) => {
    if (state === 'poweredOn') hci.readLeBufferSize!();
  });
  if (noble.state === 'poweredOn') hci.readLeBufferSize();
}

export async function loadNoble(opts: LoadNobleOptions = {}): Promise<NobleLike | null> {
  const importer = opts.importer ?? (() => import('@abandonware/noble'));
  try {
    const mod = (await importer()) as { default?: unknown };
    const noble = (mod.default ?? mod) as NobleLike;
    // Reading `state` runs the bindings' init() synchronously (bind to hci0), so a missing adapter or
    // permission problem throws here instead of surfacing later as a console warning.
    void noble.state;
    fixUserChannelBuffers(noble, opts.env ?? process.env);
    return noble;
  } catch (e) {
    opts.onUnavailable?.(bluetoothLoadError(e));
    return null;
  }
}
