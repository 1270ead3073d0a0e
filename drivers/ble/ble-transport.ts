// SMP over BLE (Zephyr smp_bt): requests are Write Without Response to one characteristic, split into
// ATT MTU − 3 byte pieces; responses arrive as notifications, rejoined by the SMP header's length field.
// One instance is one connection: after 'close' it is dead; device-link.ts opens a new one for the next job,
// and the scheduler's retry backoff spaces the attempts.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { TransportError, isTransportError, type Transport } from '../transport.js';
import { adapterStateError, bluetoothLoadError } from './bluetooth-availability.js';
import { nobleUuid, type CharacteristicLike, type NobleLike, type PeripheralLike } from './noble-like.js';
import { describeTarget, matchesTarget, type BleTarget } from './peripheral-match.js';
import { SmpReassembler } from '../smp-reassembler.js';
import { systemTimers, withTimeout, type Timers } from '../timers.js';

export const SMP_SERVICE_UUID = '8D53DC1D-1DB7-4CD3-868B-8A527460AA84';
export const SMP_CHARACTERISTIC_UUID = 'DA2E7828-FBCE-4E01-AE9E-261174997C48';
/** The ATT MTU every LE link starts with, before (or without) an MTU exchange. */
export const DEFAULT_ATT_MTU = 23;
/** A Write Command / Notification spends 1 byte on the opcode and 2 on the attribute handle. */
const ATT_HEADER = 3;
/** noble's stop/disconnect promises wait for an event that never comes if there was nothing to stop. */
const CLEANUP_MS = 2_000;

export interface BleTransportOptions {
  /** From loadNoble(); null means Bluetooth is unavailable and open() rejects with UNAVAILABLE. */
  noble: NobleLike | null;
  target: BleTarget;
  /** Why noble is null (the error loadNoble reported); used as open()'s rejection. */
  unavailable?: TransportError;
  timers?: Timers;
  scanTimeoutMs?: number;
  connectTimeoutMs?: number;
  poweredOnTimeoutMs?: number;
  /** Largest SMP packet accepted from the device before the stream is considered corrupt. */
  maxPacketSize?: number;
  log?: Logger;
}

export class BleTransport extends EventEmitter implements Transport {
  readonly kind = 'ble' as const;
  private readonly opts: BleTransportOptions;
  private readonly timers: Timers;
  private readonly reassembler: SmpReassembler;
  private readonly log: Logger | undefined;
  private peripheral: PeripheralLike | null = null;
  private chr: CharacteristicLike | null = null;
  private opened = false;
  private opening = false;
  private dead = false;
  private desc: string;
  private sendChain: Promise<void> = Promise.resolve();
  private dropDuringOpen: ((e: TransportError) => void) | null = null;

  constructor(opts: BleTransportOptions) {
    super();
    this.opts = opts;
    this.timers = opts.timers ?? systemTimers();
    this.reassembler = new SmpReassembler(opts.maxPacketSize);
    this.log = opts.log?.child({ component: 'ble' });
    this.desc = `ble:${describeTarget(opts.target)}`;
  }

  get description(): string {
    return this.desc;
  }
  /** Negotiated ATT MTU once the peripheral reports it, else 23. Writes go out in `mtu − 3` pieces. */
  get mtu(): number {
    return this.peripheral?.mtu ?? DEFAULT_ATT_MTU;
  }
  /** Bytes per Write Without Response / notification at the current MTU. */
  get chunkSize(): number {
    return this.mtu - ATT_HEADER;
  }
  get isOpen(): boolean {
    return this.opened;
  }

  async open(): Promise<void> {
    if (this.dead) throw new TransportError('DISCONNECTED', `${this.desc} is closed; create a new transport`);
    if (this.opened || this.opening) throw new TransportError('BUSY', `${this.desc} is already open`);
    const noble = this.opts.noble;
    if (noble === null) throw this.opts.unavailable ?? new TransportError('UNAVAILABLE', 'Bluetooth is not available');
    this.opening = true;
    try {
      await this.waitPoweredOn(noble);
      const p = await this.scan(noble);
      this.checkNotClosed();
      await this.connect(p);
    } finally {
      this.opening = false;
    }
    noble.on('stateChange', this.onStateChange);
    this.opened = true;
    this.log?.info({ device: this.desc, mtu: this.mtu }, 'connected');
  }

  send(packet: Uint8Array): Promise<void> {
    if (!this.opened) return Promise.reject(new TransportError('DISCONNECTED', `${this.desc} is not connected`));
    const job = this.sendChain.then(() => this.writeChunks(packet));
    // Packets must not interleave on the characteristic, so each send waits for the previous one.
    this.sendChain = job.catch(() => undefined);
    return job;
  }

  async close(): Promise<void> {
    if (this.dead) return;
    this.dead = true;
    const p = this.peripheral;
    const wasOpen = this.opened;
    this.teardown();
    if (p !== null) await this.bounded(p.disconnectAsync());
    if (wasOpen) this.emit('close');
  }

  private async writeChunks(packet: Uint8Array): Promise<void> {
    const size = this.chunkSize;
    for (let off = 0; off < packet.length; off += size) {
      const chr = this.chr;
      if (!this.opened || chr === null) throw new TransportError('DISCONNECTED', `${this.desc} dropped during send`);
      try {
        await chr.writeAsync(Buffer.from(packet.subarray(off, off + size)), true);
      } catch (e) {
        if (!this.opened) throw new TransportError('DISCONNECTED', `${this.desc} dropped during send`, { cause: e });
        throw new TransportError('IO', `BLE write to ${this.desc} failed: ${String(e)}`, { cause: e });
      }
    }
  }

  private async waitPoweredOn(noble: NobleLike): Promise<void> {
    const read = (): string => {
      try {
        return noble.state;
      } catch (e) {
        throw bluetoothLoadError(e);
      }
    };
    let onChange: ((s: string) => void) | undefined;
    const poweredOn = new Promise<void>((resolve, reject) => {
      onChange = (s: string) => {
        if (s === 'poweredOn') resolve();
        const err = adapterStateError(s);
        if (err) reject(err);
      };
      noble.on('stateChange', onChange);
    });
    try {
      const state = read();
      if (state === 'poweredOn') return;
      const err = adapterStateError(state);
      if (err) throw err;
      const ms = this.opts.poweredOnTimeoutMs ?? 5_000;
      await withTimeout(this.timers, poweredOn, ms, () =>
        new TransportError('UNAVAILABLE', `Bluetooth adapter did not power on within ${ms} ms (state ${noble.state})`));
    } finally {
      noble.removeListener('stateChange', onChange!);
      poweredOn.catch(() => undefined);
    }
  }

  private async scan(noble: NobleLike): Promise<PeripheralLike> {
    const target = this.opts.target;
    const uuids = target.serviceUuid !== undefined ? [nobleUuid(target.serviceUuid)] : [];
    let onDiscover: ((p: PeripheralLike) => void) | undefined;
    const found = new Promise<PeripheralLike>((resolve, reject) => {
      onDiscover = (p) => {
        if (matchesTarget(p, target)) resolve(p);
      };
      noble.on('discover', onDiscover);
      noble.startScanningAsync(uuids, false).catch((e: unknown) => {
        const err = adapterStateError(noble.state);
        reject(err ?? new TransportError('IO', `could not start a BLE scan: ${String(e)}`, { cause: e }));
      });
    });
    const ms = this.opts.scanTimeoutMs ?? 15_000;
    try {
      return await withTimeout(this.timers, found, ms, () =>
        new TransportError('NOT_FOUND', `no BLE device matching ${describeTarget(target)} seen within ${ms} ms`));
    } finally {
      noble.removeListener('discover', onDiscover!);
      await this.bounded(noble.stopScanningAsync());
    }
  }

  private async connect(p: PeripheralLike): Promise<void> {
    const ms = this.opts.connectTimeoutMs ?? 10_000;
    const who = p.address || p.id;
    const dropped = new Promise<never>((_, reject) => {
      this.dropDuringOpen = reject;
    });
    dropped.catch(() => undefined);
    const step = <T>(what: string, work: Promise<T>): Promise<T> =>
      withTimeout(this.timers, Promise.race([work, dropped]), ms, () =>
        new TransportError('TIMEOUT', `BLE ${what} with ${who} timed out after ${ms} ms`));
    p.on('disconnect', this.onDisconnect);
    this.peripheral = p;
    try {
      await step('connect', p.connectAsync()).catch((e: unknown) => {
        throw isTransportError(e) ? e : new TransportError('IO', `could not connect to ${who}: ${String(e)}`, { cause: e });
      });
      this.checkNotClosed();
      const { characteristics } = await step(
        'service discovery',
        p.discoverSomeServicesAndCharacteristicsAsync([nobleUuid(SMP_SERVICE_UUID)], [nobleUuid(SMP_CHARACTERISTIC_UUID)]),
      );
      const chr = characteristics.find((c) => nobleUuid(c.uuid) === nobleUuid(SMP_CHARACTERISTIC_UUID));
      if (chr === undefined) throw new TransportError('NOT_FOUND', `${who} has no SMP characteristic ${SMP_CHARACTERISTIC_UUID}`);
      chr.on('data', this.onData);
      this.chr = chr;
      await step('notification subscribe', chr.subscribeAsync());
      this.checkNotClosed();
    } catch (e) {
      this.teardown();
      await this.bounded(p.disconnectAsync());
      throw isTransportError(e) ? e : new TransportError('IO', `BLE setup with ${who} failed: ${String(e)}`, { cause: e });
    } finally {
      this.dropDuringOpen = null;
    }
    const name = p.advertisement?.localName;
    this.desc = `ble:${who}${name ? ` (${name})` : ''}`;
  }

  /** Waits for a cleanup step, but never fails and never longer than CLEANUP_MS. */
  private async bounded(work: Promise<unknown>): Promise<void> {
    await withTimeout(this.timers, work, CLEANUP_MS, () => new Error('cleanup timed out')).catch(() => undefined);
  }

  private checkNotClosed(): void {
    if (this.dead) throw new TransportError('DISCONNECTED', `${this.desc} was closed while opening`);
  }

  private teardown(): void {
    this.peripheral?.removeListener('disconnect', this.onDisconnect);
    this.chr?.removeListener('data', this.onData);
    this.opts.noble?.removeListener('stateChange', this.onStateChange);
    this.peripheral = null;
    this.chr = null;
    this.opened = false;
    this.reassembler.reset();
  }

  private lost(reason: TransportError): void {
    if (this.dropDuringOpen) {
      this.dropDuringOpen(reason);
      return;
    }
    if (!this.opened) return;
    this.dead = true;
    this.teardown();
    this.log?.warn({ device: this.desc, reason: reason.message }, 'link lost');
    this.emit('close', reason);
  }

  private readonly onDisconnect = (reason?: unknown): void => {
    const why = reason === undefined || reason === null ? '' : ` (reason ${String(reason)})`;
    this.lost(new TransportError('DISCONNECTED', `BLE link to ${this.desc} dropped${why}`));
  };

  private readonly onStateChange = (state: string): void => {
    if (state !== 'poweredOn') this.lost(new TransportError('DISCONNECTED', `Bluetooth adapter went ${state}`));
  };

  private readonly onData = (data: Buffer): void => {
    let packets: Uint8Array[];
    try {
      packets = this.reassembler.push(data);
    } catch (e) {
      const err = isTransportError(e) ? e : new TransportError('IO', String(e), { cause: e });
      this.log?.warn({ device: this.desc, err: err.message }, 'dropped corrupt notification stream');
      // An 'error' without listeners would throw inside noble's event loop and take the agent down.
      if (this.listenerCount('error') > 0) this.emit('error', err);
      return;
    }
    for (const packet of packets) this.emit('packet', packet);
  };
}
