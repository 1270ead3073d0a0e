// A noble stand-in (behind drivers/ble/noble-like.ts) with SMP peripherals: writes must fit MTU − 3,
// requests are reassembled device-side and answered by an SMP handler, responses go out as MTU − 3
// notifications. Knobs: adapter state, init errors (EAFNOSUPPORT), refused connects, link drops.
import { EventEmitter } from 'node:events';
import type { SmpHandler } from './smp-echo-responder.js';

const SMP_SERVICE = '8d53dc1d1db74cd3868b8a527460aa84';
const SMP_CHARACTERISTIC = 'da2e7828fbce4e01ae9e261174997c48';
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

export function errnoError(code: string, message = `${code}, simulated`): Error {
  return Object.assign(new Error(message), { code, errno: code });
}

/** An importer for loadNoble() that fails like noble does on a kernel without Bluetooth. */
export function failingNobleImport(code = 'EAFNOSUPPORT'): () => Promise<unknown> {
  return () => Promise.reject(errnoError(code, `${code}, Address family not supported by protocol`));
}

export class FakeCharacteristic extends EventEmitter {
  readonly uuid = SMP_CHARACTERISTIC;
  subscribed = false;
  private rx: Uint8Array = new Uint8Array(0);
  // One notification queue per link, as on air: responses never interleave.
  private tx: Promise<void> = Promise.resolve();

  constructor(private readonly p: FakePeripheral) {
    super();
  }

  async writeAsync(data: Buffer, withoutResponse: boolean): Promise<void> {
    await tick();
    const p = this.p;
    if (p.state !== 'connected') throw new Error('Peripheral not connected');
    if (!withoutResponse) throw new Error('SMP characteristic expects Write Without Response');
    if (data.length > p.linkMtu - 3) throw new Error(`ATT: value of ${data.length} bytes exceeds MTU ${p.linkMtu} − 3`);
    p.writes.push(Buffer.from(data));
    if (p.dropAfterWrites !== undefined && p.writes.length >= p.dropAfterWrites) {
      p.dropLink();
      return;
    }
    const joined = new Uint8Array(this.rx.length + data.length);
    joined.set(this.rx);
    joined.set(data, this.rx.length);
    this.rx = joined;
    while (this.rx.length >= 8) {
      const len = 8 + ((this.rx[2]! << 8) | this.rx[3]!);
      if (this.rx.length < len) break;
      const packet = this.rx.slice(0, len);
      this.rx = this.rx.slice(len);
      p.requests.push(packet);
      this.tx = this.tx.then(() => this.answer(packet)).catch(() => undefined);
    }
  }

  async subscribeAsync(): Promise<void> {
    await tick();
    if (this.p.state !== 'connected') throw new Error('Peripheral not connected');
    this.subscribed = true;
  }

  resetLink(): void {
    this.rx = new Uint8Array(0);
    this.subscribed = false;
  }

  private async answer(packet: Uint8Array): Promise<void> {
    const responses = await this.p.handler.handle(packet);
    for (const rsp of responses) {
      const size = this.p.linkMtu - 3;
      for (let off = 0; off < rsp.length; off += size) {
        await tick();
        if (this.p.state !== 'connected' || !this.subscribed) return;
        const piece = Buffer.from(rsp.subarray(off, off + size));
        this.p.notifications.push(piece);
        this.emit('data', piece, true);
      }
    }
  }
}

export interface FakePeripheralOptions {
  address: string;
  name?: string;
  /** Advertised service UUIDs (noble form or dashed); default: the SMP service. */
  serviceUuids?: string[];
  /** MTU the exchange settles on after connecting; null = no exchange, the link stays at 23. */
  mtu?: number | null;
  handler: SmpHandler;
  /** False: the GATT table lacks the SMP service. */
  hasSmpService?: boolean;
}

export class FakePeripheral extends EventEmitter {
  readonly id: string;
  readonly address: string;
  readonly advertisement: { localName?: string; serviceUuids: string[] };
  mtu: number | null = null;
  state: 'disconnected' | 'connected' = 'disconnected';
  handler: SmpHandler;
  readonly characteristic: FakeCharacteristic;
  readonly writes: Buffer[] = [];
  readonly notifications: Buffer[] = [];
  readonly requests: Uint8Array[] = [];
  connectCount = 0;
  refuseConnections = false;
  /** Like noble after a failed connect: disconnectAsync() waits for a 'disconnect' that never comes. */
  disconnectHangs = false;
  /** Drop the link when this many writes have been received (cumulative). */
  dropAfterWrites: number | undefined;
  private readonly negotiatedMtu: number | null;
  private readonly hasSmp: boolean;

  constructor(opts: FakePeripheralOptions) {
    super();
    this.address = opts.address.toLowerCase();
    this.id = this.address.replace(/:/g, '');
    this.advertisement = { localName: opts.name, serviceUuids: opts.serviceUuids ?? [SMP_SERVICE] };
    this.negotiatedMtu = opts.mtu === undefined ? 247 : opts.mtu;
    this.handler = opts.handler;
    this.hasSmp = opts.hasSmpService ?? true;
    this.characteristic = new FakeCharacteristic(this);
    // SmpDeviceSim emits 'disconnect' when its disconnectAfterBytes knob fires: the link goes with it.
    (opts.handler as Partial<EventEmitter>).on?.('disconnect', () => this.dropLink());
  }

  /** The MTU the simulated link actually enforces. */
  get linkMtu(): number {
    return this.mtu ?? 23;
  }

  async connectAsync(): Promise<void> {
    await tick();
    if (this.refuseConnections) throw new Error('Connection Failed to be Established (0x3e)');
    this.state = 'connected';
    this.connectCount++;
    // noble learns the MTU from the ATT exchange that follows the connection, not at connect time.
    if (this.negotiatedMtu !== null) {
      const mtu = this.negotiatedMtu;
      setImmediate(() => {
        if (this.state === 'connected') this.mtu = mtu;
      });
    }
  }

  async disconnectAsync(): Promise<void> {
    if (this.disconnectHangs) return new Promise(() => undefined);
    await tick();
    if (this.state === 'connected') this.dropLink(0x16);
  }

  async discoverSomeServicesAndCharacteristicsAsync(services: string[], chars: string[]) {
    await tick();
    if (this.state !== 'connected') throw new Error('Peripheral not connected');
    const wanted = this.hasSmp && services.includes(SMP_SERVICE) && chars.includes(SMP_CHARACTERISTIC);
    return { services: [], characteristics: wanted ? [this.characteristic] : [] };
  }

  /** The link goes away (supervision timeout 0x08 by default), as when the device walks out of range. */
  dropLink(reason = 0x08): void {
    if (this.state !== 'connected') return;
    this.state = 'disconnected';
    this.mtu = null;
    this.characteristic.resetLink();
    this.emit('disconnect', reason);
  }
}

export class FakeNoble extends EventEmitter {
  private adapterState: string;
  readonly peripherals: FakePeripheral[] = [];
  scanning = false;
  scanFilters: string[][] = [];
  /** Thrown when `state` is read, as noble's lazy HCI init throws (e.g. errnoError('ENODEV')). */
  initError: Error | undefined;

  constructor(opts: { state?: string } = {}) {
    super();
    this.adapterState = opts.state ?? 'poweredOn';
  }

  get state(): string {
    if (this.initError) throw this.initError;
    return this.adapterState;
  }

  setState(state: string): void {
    this.adapterState = state;
    this.emit('stateChange', state);
  }

  addPeripheral(opts: FakePeripheralOptions): FakePeripheral {
    const p = new FakePeripheral(opts);
    this.peripherals.push(p);
    if (this.scanning) this.advertise(p);
    return p;
  }

  async startScanningAsync(uuids: string[] = [], _allowDuplicates = false): Promise<void> {
    await tick();
    if (this.adapterState !== 'poweredOn') {
      throw new Error(`Could not start scanning, state is ${this.adapterState} (not poweredOn)`);
    }
    this.scanning = true;
    this.scanFilters.push(uuids);
    for (const p of this.peripherals) this.advertise(p);
  }

  async stopScanningAsync(): Promise<void> {
    this.scanning = false;
  }

  private advertise(p: FakePeripheral): void {
    const filter = this.scanFilters.at(-1) ?? [];
    setImmediate(() => {
      if (!this.scanning || p.state === 'connected') return;
      if (filter.length > 0 && !p.advertisement.serviceUuids.some((u) => filter.includes(u.replace(/-/g, '').toLowerCase()))) return;
      this.emit('discover', p);
    });
  }
}
