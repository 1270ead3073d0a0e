// The table of transport providers, one per kind. Adding a transport: a provider file next to these,
// one line here, the kind in the config schema, and its simulator in the shared contract suite.
import type { TransportKind, TransportProvider } from './transport-provider.js';
import { bleProvider } from './ble.js';
import { serialProvider } from './serial.js';
import { udpProvider } from './udp.js';
import { usbProvider } from './usb.js';

export const TRANSPORT_PROVIDERS: { readonly [K in TransportKind]: TransportProvider<K> } = {
  serial: serialProvider,
  udp: udpProvider,
  ble: bleProvider,
  usb: usbProvider,
};

export function providerFor(kind: TransportKind): TransportProvider {
  return TRANSPORT_PROVIDERS[kind];
}
