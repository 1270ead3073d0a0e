// One SMP session per device at a time: jobs for the same device take turns (a lease), and the open
// transport lingers briefly after a job so the next one (pull after pull, confirm after reset) does not
// reconnect — a BLE connect costs seconds. A transport that dropped is never reused.
import type { Logger } from 'pino';
import type { Transport } from '../../drivers/transport.js';
import type { DeviceConfig } from '../config/sections/devices.js';
import { SmpClient } from './smp/smp-client.js';

export interface DeviceLease {
  readonly client: SmpClient;
  readonly transport: Transport;
  /** Closes this session's transport and opens a fresh one (after a device reset). */
  reconnect(signal?: AbortSignal): Promise<void>;
  release(): void;
}

export interface DeviceLinksOptions {
  createTransport: (d: DeviceConfig) => Promise<Transport>;
  log: Logger;
  /** How long an idle transport stays open for the next job (default 3 s). */
  lingerMs?: number;
}

interface Link {
  transport: Transport | null;
  client: SmpClient | null;
  /** Resolves when the current holder releases. */
  turn: Promise<void>;
  idle: NodeJS.Timeout | null;
}

export class DeviceLinks {
  private readonly links = new Map<string, Link>();
  private readonly log: Logger;

  constructor(private readonly opts: DeviceLinksOptions) {
    this.log = opts.log.child({ component: 'device-link' });
  }

  /** Waits for the device's turn (or `signal`), then opens or reuses its transport. */
  async acquire(d: DeviceConfig, signal: AbortSignal): Promise<DeviceLease> {
    const link = this.linkOf(d.id);
    const previous = link.turn;
    let release!: () => void;
    link.turn = new Promise<void>((r) => (release = r));
    try {
      await abortable(previous, signal);
    } catch (e) {
      // Hand our turn on once the previous holder is done, so the queue keeps moving.
      void previous.then(release);
      throw e;
    }
    try {
      if (link.idle) clearTimeout(link.idle);
      link.idle = null;
      if (!link.transport?.isOpen) await this.open(d, link, signal);
    } catch (e) {
      release();
      throw e;
    }
    let released = false;
    return {
      get client() {
        return link.client!;
      },
      get transport() {
        return link.transport!;
      },
      reconnect: async (s?: AbortSignal) => {
        await this.shut(link);
        await this.open(d, link, s);
      },
      release: () => {
        if (released) return;
        released = true;
        if (link.transport?.isOpen) {
          link.idle = setTimeout(() => void this.shut(link), this.opts.lingerMs ?? 3000);
          link.idle.unref();
        } else {
          void this.shut(link);
        }
        release();
      },
    };
  }

  /** Closes the device's transport now (a dropped link, a config change). */
  async drop(id: string): Promise<void> {
    const link = this.links.get(id);
    if (link) await this.shut(link);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.links.values()].map((l) => this.shut(l)));
  }

  private linkOf(id: string): Link {
    let link = this.links.get(id);
    if (!link) {
      link = { transport: null, client: null, turn: Promise.resolve(), idle: null };
      this.links.set(id, link);
    }
    return link;
  }

  private async open(d: DeviceConfig, link: Link, signal?: AbortSignal): Promise<void> {
    await this.shut(link);
    signal?.throwIfAborted();
    const transport = await this.opts.createTransport(d);
    const opening = transport.open();
    try {
      await abortable(opening, signal);
    } catch (e) {
      // An open abandoned half-way may still complete: close it then too.
      void opening.then(() => transport.close(), () => undefined);
      await transport.close().catch(() => undefined);
      throw e;
    }
    // An 'error' event without a listener would throw out of the driver's event loop.
    transport.on('error', (e: Error) => this.log.warn({ device: d.id, err: e.message }, 'transport error'));
    link.transport = transport;
    link.client = new SmpClient(transport, { timeoutMs: d.smp.timeoutMs, retries: d.smp.retries, logger: this.log });
    this.log.debug({ device: d.id, transport: transport.description }, 'link open');
  }

  private async shut(link: Link): Promise<void> {
    if (link.idle) clearTimeout(link.idle);
    link.idle = null;
    const t = link.transport;
    link.client?.detach();
    link.client = null;
    link.transport = null;
    if (t) await t.close().catch(() => undefined);
  }
}

/** Resolves/rejects with `p`, or rejects with the signal's reason when it aborts first. */
export function abortable<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
