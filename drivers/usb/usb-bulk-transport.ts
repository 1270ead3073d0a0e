// SMP over a vendor-class USB interface: one raw SMP packet per bulk OUT transfer; bulk IN reads are
// rejoined by the SMP header's length (a read may hold part of a packet or several). Unplugging the
// device ends the transport with 'close' DISCONNECTED; one instance is one session.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { TransportError, isTransportError, type Transport } from '../transport.js';
import { SmpReassembler } from '../smp-reassembler.js';
import { findClassInterface } from './fingerprint.js';
import { isUsbGone } from './usb-errors.js';
import { describeUsbDevice, sameUsbDevice, type UsbDeviceLike, type UsbInterfaceLike, type UsbLike } from './usb-like.js';

export interface UsbBulkTransportOptions {
  device: UsbDeviceLike;
  /** For 'detach' events; without it a detach is noticed when a transfer fails. */
  usb?: UsbLike | null;
  /** Vendor interface to claim; default: the first vendor-class interface with a bulk IN/OUT pair. */
  interfaceNumber?: number;
  /** Largest SMP packet this link carries (the device's SMP buffer); reported as `mtu`. */
  mtu?: number;
  /** Bytes asked for per bulk IN transfer; a multiple of the endpoint's packet size. */
  readSize?: number;
  /** Each IN transfer waits this long before the read loop checks whether it should stop. */
  pollTimeoutMs?: number;
  writeTimeoutMs?: number;
  log?: Logger;
}

export class UsbBulkTransport extends EventEmitter implements Transport {
  readonly kind = 'usb' as const;
  readonly description: string;
  readonly mtu: number;
  private readonly opts: UsbBulkTransportOptions;
  private readonly dev: UsbDeviceLike;
  private readonly reassembler: SmpReassembler;
  private readonly log: Logger | undefined;
  private iface: UsbInterfaceLike | null = null;
  private inAddr = 0;
  private outAddr = 0;
  private opened = false;
  private dead = false;
  private sendChain: Promise<void> = Promise.resolve();
  /** The read loop; settles at most one poll timeout after the transport stops being open. */
  private reading: Promise<void> = Promise.resolve();

  constructor(opts: UsbBulkTransportOptions) {
    super();
    this.opts = opts;
    this.dev = opts.device;
    this.mtu = opts.mtu ?? 2048;
    this.reassembler = new SmpReassembler(Math.max(this.mtu, 8 + 0xffff));
    this.description = describeUsbDevice(opts.device);
    this.log = opts.log?.child({ component: 'usb', device: this.description });
  }

  get isOpen(): boolean {
    return this.opened;
  }

  async open(): Promise<void> {
    if (this.dead) throw new TransportError('DISCONNECTED', `${this.description} is closed; create a new transport`);
    if (this.opened) throw new TransportError('BUSY', `${this.description} is already open`);
    const number = this.opts.interfaceNumber ?? findClassInterface(this.dev.interfaces, 'vendor');
    const iface = this.dev.interfaces.find((i) => i.interfaceNumber === number);
    const bulkIn = iface?.endpoints.find((e) => e.transferType === 'bulk' && e.direction === 'in');
    const bulkOut = iface?.endpoints.find((e) => e.transferType === 'bulk' && e.direction === 'out');
    if (iface === undefined || bulkIn === undefined || bulkOut === undefined) {
      throw new TransportError('NOT_FOUND', `${this.description} has no vendor interface with bulk IN and OUT endpoints`);
    }
    try {
      await this.dev.open();
    } catch (e) {
      throw this.wrap(e, 'open');
    }
    try {
      await iface.claim();
    } catch (e) {
      await this.dev.close().catch(() => undefined);
      // Claim fails when another process or a kernel driver holds the interface.
      throw isUsbGone(e) ? this.wrap(e, 'claim') : new TransportError('BUSY', `${this.description}: interface ${iface.interfaceNumber} is in use: ${String(e)}`, { cause: e });
    }
    this.iface = iface;
    this.inAddr = bulkIn.address;
    this.outAddr = bulkOut.address;
    this.opened = true;
    this.opts.usb?.on('detach', this.onDetach);
    this.reading = this.readLoop(this.opts.readSize ?? Math.max(bulkIn.maxPacketSize, 512) * 8);
    this.log?.info({ interfaceNumber: iface.interfaceNumber }, 'opened');
  }

  send(packet: Uint8Array): Promise<void> {
    if (!this.opened) return Promise.reject(new TransportError('DISCONNECTED', `${this.description} is not open`));
    const job = this.sendChain.then(async () => {
      if (!this.opened) throw new TransportError('DISCONNECTED', `${this.description} went away before the send`);
      try {
        await this.dev.transferOut(this.outAddr, packet, this.opts.writeTimeoutMs ?? 5_000);
      } catch (e) {
        const err = this.wrap(e, 'bulk OUT');
        if (err.code === 'DISCONNECTED') this.lost(err);
        throw err;
      }
    });
    this.sendChain = job.catch(() => undefined);
    return job;
  }

  async close(): Promise<void> {
    if (this.dead) return;
    const wasOpen = this.opened;
    this.shutdown();
    if (!wasOpen) return;
    await this.releaseHandle();
    this.emit('close');
  }

  /**
   * Releases the interface and closes the handle. usb 3.x refuses both while an IN or OUT transfer
   * still holds the device; left so, the interface stays claimed and every later session fails with
   * BUSY. Then it tries again once the transfers in flight ended (the read loop's poll timeout bounds that).
   */
  private async releaseHandle(): Promise<void> {
    try {
      await this.iface?.release();
      await this.dev.close();
      return;
    } catch {
      // a transfer still holds the device, or it is gone: wait for the transfers, then once more
    }
    const bound = (this.opts.pollTimeoutMs ?? 1_000) + 250;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([this.reading, this.sendChain]).catch(() => undefined),
      new Promise((r) => (timer = setTimeout(r, bound))),
    ]);
    clearTimeout(timer);
    await new Promise((r) => setImmediate(r));
    await this.iface?.release().catch(() => undefined);
    await this.dev.close().catch(() => undefined);
  }

  private async readLoop(readSize: number): Promise<void> {
    const timeout = this.opts.pollTimeoutMs ?? 1_000;
    while (this.opened) {
      let data: Uint8Array | null;
      try {
        data = await this.dev.transferIn(this.inAddr, readSize, timeout);
      } catch (e) {
        if (this.opened) this.lost(this.wrap(e, 'bulk IN'));
        return;
      }
      if (data === null || !this.opened) continue;
      try {
        for (const packet of this.reassembler.push(data)) this.emit('packet', packet);
      } catch (e) {
        this.log?.warn({ err: String(e) }, 'dropped corrupt bulk IN data');
        if (this.listenerCount('error') > 0) this.emit('error', e);
      }
    }
  }

  private wrap(e: unknown, what: string): TransportError {
    if (isTransportError(e)) return e;
    if (isUsbGone(e) || this.dead) return new TransportError('DISCONNECTED', `${this.description} disconnected during ${what}`, { cause: e });
    return new TransportError('IO', `${this.description}: ${what} failed: ${String(e)}`, { cause: e });
  }

  private shutdown(): void {
    this.dead = true;
    this.opened = false;
    this.opts.usb?.removeListener('detach', this.onDetach);
    this.reassembler.reset();
  }

  private lost(reason: TransportError): void {
    if (!this.opened) return;
    this.shutdown();
    this.log?.warn({ reason: reason.message }, 'lost');
    // The handle is useless after an unplug; closing it frees the library's resources (and, after a
    // failure that was not an unplug, lets the next session claim the interface again).
    void this.releaseHandle();
    this.emit('close', reason);
  }

  private readonly onDetach = (dev: UsbDeviceLike): void => {
    if (sameUsbDevice(dev, this.dev)) this.lost(new TransportError('DISCONNECTED', `${this.description} was unplugged`));
  };
}
