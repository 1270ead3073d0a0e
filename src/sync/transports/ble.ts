// BLE transport provider: SMP over the Zephyr SMP GATT service, found by address or advertised name.
// There is no cheap presence signal (scanning costs power and radio time): a connect attempt is the probe.
import { BleTransport } from '../../../drivers/ble/ble-transport.js';
import { ConnectSpecError, type TransportProvider } from './transport-provider.js';

export const bleProvider: TransportProvider<'ble'> = {
  kind: 'ble',
  afterLoss: 'unknown',
  connectSyntax: 'ble:ADDRESS',

  validate: (t) => (!t.address && !t.name ? 'a ble transport needs "address" or "name"' : null),

  describe: (t) => `ble:${t.address ?? `name=${t.name ?? '?'}`}`,

  async open(d, hw, log) {
    const t = d.transport;
    const noble = await hw.noble();
    return new BleTransport({
      noble: noble.ok,
      ...(noble.error ? { unavailable: noble.error } : {}),
      target: { ...(t.address ? { address: t.address } : {}), ...(t.name ? { name: t.name } : {}) },
      ...(log ? { log } : {}),
    });
  },

  async watch(devices, sink, { hw }) {
    const noble = await hw.noble();
    if (noble.ok === null) for (const d of devices) sink.unavailable(d.id, noble.error.message);
    return { stop: () => undefined };
  },

  parseConnect(rest) {
    if (!rest) throw new ConnectSpecError('ble needs an address, e.g. ble:AA:BB:CC:DD:EE:FF');
    return { kind: 'ble', address: rest };
  },
};
