// An in-process Transport straight onto a simulator's handle(): no framing, for fast client tests
// and for computing packet sizes of packet-oriented links (BLE) in benches.
import { EventEmitter } from 'node:events';
import { TransportError, type Transport } from '../../../drivers/transport.js';
import type { SmpDeviceSim } from './smp-device-sim.js';

export class LoopbackTransport extends EventEmitter implements Transport {
  readonly description: string;
  isOpen = false;
  /** Every packet in either direction, for byte accounting. */
  readonly sent: Uint8Array[] = [];
  readonly received: Uint8Array[] = [];

  constructor(private readonly sim: SmpDeviceSim, readonly mtu = 1024, readonly kind: Transport['kind'] = 'usb') {
    super();
    this.description = `loopback:${kind}`;
    sim.on('disconnect', () => this.shut(new TransportError('DISCONNECTED', 'simulated device went away')));
  }

  async open(): Promise<void> {
    this.isOpen = true;
  }

  async send(packet: Uint8Array): Promise<void> {
    if (!this.isOpen) throw new TransportError('DISCONNECTED', 'loopback closed');
    this.sent.push(packet);
    void this.sim.handle(packet).then((rsps) => {
      for (const r of rsps) {
        if (!this.isOpen) return;
        this.received.push(r);
        this.emit('packet', r);
      }
    });
  }

  async close(): Promise<void> {
    this.shut(undefined);
  }

  private shut(reason: TransportError | undefined): void {
    if (!this.isOpen) return;
    this.isOpen = false;
    this.emit('close', reason);
  }
}
