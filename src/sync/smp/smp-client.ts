// SMP client over any Transport: one request in flight at a time, sequence-number matching, a timeout
// per attempt with retries (a late answer to an earlier attempt still counts), and v2→v1 fallback.
// Device errors become SmpError; transport failures stay TransportError (DISCONNECTED, TIMEOUT…).
import type { Logger } from 'pino';
import { TransportError, type Transport } from '../../../drivers/transport.js';
import { FerryError } from '../../errors.js';
import { decodeBody, encodeBody, type SmpBody } from './smp-cbor.js';
import { MgmtErr, errorFromBody, isSmpError } from './smp-errors.js';
import { decodePacket, encodePacket, SmpOp, type SmpHeader, type SmpVersion } from './smp-packet.js';
import { OsGroup, type McumgrParams } from './os-group.js';
import { FsGroup } from './fs-group.js';
import { ImageGroup } from './image-group.js';
import { StatsGroup } from './stats-group.js';
import { ShellGroup } from './shell-group.js';
import type { RequestOptions, SmpRequester } from './smp-requester.js';
import { systemTimers, type Timers } from '../../../drivers/timers.js';

export type { RequestOptions } from './smp-requester.js';

export interface SmpClientOptions {
  /** Per-attempt wait for the answer (default 5000 ms). */
  timeoutMs?: number;
  /** Extra attempts after a timeout (default 2). */
  retries?: number;
  /** Preferred protocol version (default 2); drops to 1 when the device answers v1 or refuses v2. */
  version?: SmpVersion;
  /** Caps request packets below what transport and device allow (tests, odd devices). */
  maxPacketSize?: number;
  logger?: Logger;
  timers?: Timers;
}

export interface SmpResponse {
  header: SmpHeader;
  body: SmpBody;
}

interface Waiter {
  op: number;
  group: number;
  id: number;
  settle: (r: SmpResponse | Error) => void;
}

// Zephyr's serial transport decodes length + packet + CRC into the same net_buf, so a request must
// leave 4 bytes of the reported buffer free; other transports lose only these 4 bytes per chunk.
const DEVICE_BUFFER_SLACK = 4;

export class SmpClient implements SmpRequester {
  readonly os: OsGroup;
  readonly fs: FsGroup;
  readonly image: ImageGroup;
  readonly stats: StatsGroup;
  readonly shell: ShellGroup;

  private readonly transport: Transport;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly maxPacketSize: number;
  private readonly timers: Timers;
  private readonly log: Logger | undefined;
  private currentVersion: SmpVersion;
  private seq = Math.floor(Math.random() * 256);
  private readonly waiters = new Map<number, Waiter>();
  private tail: Promise<unknown> = Promise.resolve();
  private closedReason: TransportError | undefined;
  private params: McumgrParams | null | undefined;

  private readonly onPacket = (bytes: Uint8Array) => this.handlePacket(bytes);
  private readonly onClose = (reason?: TransportError) => this.handleClose(reason);

  constructor(transport: Transport, opts: SmpClientOptions = {}) {
    this.transport = transport;
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.retries = opts.retries ?? 2;
    this.currentVersion = opts.version ?? 2;
    this.maxPacketSize = opts.maxPacketSize ?? Infinity;
    this.timers = opts.timers ?? systemTimers();
    this.log = opts.logger?.child({ component: 'smp', transport: transport.description });
    transport.on('packet', this.onPacket);
    transport.on('close', this.onClose);
    this.os = new OsGroup(this);
    this.fs = new FsGroup(this);
    this.image = new ImageGroup(this);
    this.stats = new StatsGroup(this);
    this.shell = new ShellGroup(this);
  }

  /** The version requests currently go out with (after any fallback). */
  get version(): SmpVersion {
    return this.currentVersion;
  }

  /** Stops listening to the transport; pending requests fail with DISCONNECTED. Does not close it. */
  detach(): void {
    this.transport.off('packet', this.onPacket);
    this.transport.off('close', this.onClose);
    this.failAll(new TransportError('DISCONNECTED', 'SMP client detached'));
  }

  /** One request/response exchange. Requests are serialised: SMP servers handle one at a time. */
  request(kind: 'read' | 'write', group: number, id: number, body: SmpBody = {}, opts: RequestOptions = {}): Promise<SmpBody> {
    const run = this.tail.then(() => this.exchange(kind, group, id, body, opts));
    this.tail = run.catch(() => undefined);
    return run.then((r) => r.body);
  }

  /** Device buffer parameters, asked once; null when the device does not support the command. */
  async deviceParams(signal?: AbortSignal): Promise<McumgrParams | null> {
    if (this.params !== undefined) return this.params;
    try {
      this.params = await this.os.params({ signal });
    } catch (e) {
      if (!isSmpError(e)) throw e;
      this.params = null;
    }
    return this.params;
  }

  /** Largest request packet (header + CBOR) that transport and device both take. */
  async packetLimit(signal?: AbortSignal): Promise<number> {
    const params = await this.deviceParams(signal);
    const device = params ? params.bufSize - DEVICE_BUFFER_SLACK : Infinity;
    return Math.min(this.transport.mtu, device, this.maxPacketSize);
  }

  private async exchange(kind: 'read' | 'write', group: number, id: number, body: SmpBody, opts: RequestOptions): Promise<SmpResponse> {
    const op = kind === 'read' ? SmpOp.READ : SmpOp.WRITE;
    const payload = encodeBody(body);
    const retries = opts.retries ?? this.retries;
    let fallbackTried = false;
    for (;;) {
      const version = this.currentVersion;
      const rsp = await this.attempts(op, group, id, payload, version, retries, opts);
      if (rsp.header.version === 1 && version === 2) this.fallBack('device answers with v1 headers');
      const err = errorFromBody(group, rsp.body);
      if (err && !err.groupScoped && !fallbackTried) {
        // Zephyr without v2 support answers UNSUPPORTED_TOO_NEW; one built without v1 says TOO_OLD.
        if (err.rc === MgmtErr.UNSUPPORTED_TOO_NEW && version === 2) {
          this.fallBack('device refused v2');
          fallbackTried = true;
          continue;
        }
        if (err.rc === MgmtErr.UNSUPPORTED_TOO_OLD && version === 1) {
          this.currentVersion = 2;
          fallbackTried = true;
          continue;
        }
      }
      if (err) throw err;
      return rsp;
    }
  }

  private fallBack(why: string): void {
    if (this.currentVersion === 1) return;
    this.currentVersion = 1;
    this.log?.info({ version: 1, why }, 'SMP falling back to v1');
  }

  private async attempts(op: number, group: number, id: number, payload: Uint8Array, version: SmpVersion, retries: number, opts: RequestOptions): Promise<SmpResponse> {
    const { signal } = opts;
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const seqs: number[] = [];
    let settle!: (r: SmpResponse | Error) => void;
    const answered = new Promise<SmpResponse | Error>((resolve) => (settle = resolve));
    const waiter: Waiter = { op: op + 1, group, id, settle };
    const onAbort = () => settle(signal?.reason instanceof Error ? signal.reason : new DOMException('aborted', 'AbortError'));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for (let attempt = 0; ; attempt++) {
        if (signal?.aborted) throw signal.reason;
        if (this.closedReason || !this.transport.isOpen) {
          throw this.closedReason ?? new TransportError('DISCONNECTED', `${this.transport.description} is not open`);
        }
        const seq = this.nextSeq();
        const packet = encodePacket({ op, version, flags: 0, group, seq, id }, payload);
        if (packet.length > this.transport.mtu) {
          throw new FerryError('TOO_LARGE', `SMP request of ${packet.length} bytes exceeds the transport MTU ${this.transport.mtu}`);
        }
        // Earlier attempts stay registered: a slow device's late answer is as good as a fresh one.
        seqs.push(seq);
        this.waiters.set(seq, waiter);
        let timer: unknown;
        const timedOut = new Promise<'timeout'>((resolve) => {
          timer = this.timers.setTimeout(() => resolve('timeout'), timeoutMs);
        });
        try {
          await this.transport.send(packet);
          const r = await Promise.race([answered, timedOut]);
          if (r === 'timeout') {
            if (attempt < retries) {
              this.log?.debug({ group, id, seq, attempt }, 'SMP request timed out, retrying');
              continue;
            }
            throw new TransportError('TIMEOUT', `no SMP answer from ${this.transport.description} after ${attempt + 1} attempts of ${timeoutMs} ms`);
          }
          if (r instanceof Error) throw r;
          return r;
        } finally {
          this.timers.clearTimeout(timer);
        }
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      for (const s of seqs) if (this.waiters.get(s) === waiter) this.waiters.delete(s);
    }
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) & 0xff;
    return this.seq;
  }

  private handlePacket(bytes: Uint8Array): void {
    let header: SmpHeader;
    let body: SmpBody;
    try {
      const packet = decodePacket(bytes);
      header = packet.header;
      body = decodeBody(packet.body);
    } catch (e) {
      this.log?.warn({ err: (e as Error).message }, 'dropping malformed SMP packet');
      return;
    }
    const w = this.waiters.get(header.seq);
    if (!w || w.op !== header.op || w.group !== header.group || w.id !== header.id) {
      this.log?.debug({ seq: header.seq, group: header.group, id: header.id }, 'ignoring unexpected SMP packet');
      return;
    }
    w.settle({ header, body });
  }

  private handleClose(reason?: TransportError): void {
    this.closedReason = reason ?? new TransportError('DISCONNECTED', `${this.transport.description} closed`);
    this.failAll(this.closedReason);
  }

  private failAll(err: Error): void {
    const all = new Set(this.waiters.values());
    this.waiters.clear();
    for (const w of all) w.settle(err);
  }
}
