// Runs the shared transport contract over every provider in the table, each with its simulator:
// serial over a socat pty pair, udp on loopback, ble through the fake noble, usb through the fake usb —
// the SMP device simulator answering behind each. A kind without a harness here does not typecheck.
import { createSocket } from 'node:dgram';
import type { DeviceHardware } from '../../../src/sync/device-hardware.js';
import { TRANSPORT_PROVIDERS } from '../../../src/sync/transports/providers.js';
import type { TransportKind } from '../../../src/sync/transports/transport-provider.js';
import { FakeNoble } from '../../support/ble-sim/fake-noble.js';
import { openPtyPair } from '../../support/pty.js';
import { defaultBinding } from '../../support/smp-sim/serial-frontend.js';
import { SmpDeviceSim } from '../../support/smp-sim/smp-device-sim.js';
import { FakeUsb } from '../../support/usb-sim/fake-usb.js';
import { transportContract, type ContractHarness } from './transport-contract.js';

const notUsed = (what: string) => async () => {
  throw new Error(`${what} is not used by this transport`);
};

function hardware(parts: Partial<DeviceHardware>): DeviceHardware {
  return {
    serial: notUsed('serial'),
    noble: notUsed('noble'),
    usb: notUsed('usb'),
    createUdpSocket: (type) => createSocket(type),
    sysRoot: '/nonexistent',
    devRoot: '/nonexistent',
    ...parts,
  };
}

const HARNESSES: { [K in TransportKind]: ContractHarness } = {
  serial: {
    link: true,
    presence: 'watched',
    library: true,
    async start() {
      const pty = await openPtyPair();
      const sim = new SmpDeviceSim();
      const frontend = await sim.attachSerial(pty.b);
      const binding = defaultBinding();
      return {
        transport: { kind: 'serial', path: pty.a, presencePollMs: 100 },
        hw: hardware({ serial: async () => ({ ok: binding }) }),
        vanish: () => pty.unplug(),
        close: async () => {
          await frontend.close();
          await pty.close();
        },
      };
    },
  },
  udp: {
    link: false,
    presence: 'presumed',
    library: false,
    async start() {
      const sim = new SmpDeviceSim();
      const frontend = await sim.attachUdp();
      let closed = false;
      const stop = async () => {
        if (closed) return;
        closed = true;
        await frontend.close();
      };
      return { transport: { kind: 'udp', host: '127.0.0.1', port: frontend.port }, hw: hardware({}), vanish: stop, close: stop };
    },
  },
  ble: {
    link: true,
    presence: 'probed',
    library: true,
    async start() {
      const noble = new FakeNoble();
      const peripheral = noble.addPeripheral({ address: 'C0:FF:EE:00:00:07', name: 'contract', mtu: 247, handler: new SmpDeviceSim() });
      return {
        transport: { kind: 'ble', address: 'c0:ff:ee:00:00:07' },
        hw: hardware({ noble: async () => ({ ok: noble }) }),
        vanish: async () => peripheral.dropLink(),
        close: async () => undefined,
      };
    },
  },
  usb: {
    link: true,
    presence: 'watched',
    library: true,
    async start() {
      const usb = new FakeUsb();
      const dev = usb.plug({ vid: 0x2fe3, pid: 0x0200, serial: 'C1', handler: new SmpDeviceSim() }, false);
      return {
        transport: { kind: 'usb', vid: '2fe3', pid: '0200', serial: 'C1' },
        hw: hardware({ usb: async () => ({ ok: usb }) }),
        vanish: async () => usb.unplug(dev),
        close: async () => undefined,
      };
    },
  },
};

for (const provider of Object.values(TRANSPORT_PROVIDERS)) transportContract(provider, HARNESSES[provider.kind]);
