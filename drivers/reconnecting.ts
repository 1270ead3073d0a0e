// Keeps a device connected: opens a fresh Transport, and after a drop ('close' with a reason) or a
// failed open waits with exponential backoff before trying again. Works for any Transport; time is injected.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { TransportError, isTransportError, type Transport } from './transport.js';
import { systemTimers, type Timers } from './timers.js';

export interface BackoffOptions {
  /** First wait after a failure (ms). */
  initialMs?: number;
  /** Cap on the wait (ms). */
  maxMs?: number;
  factor?: number;
  /** A connection that lasted this long resets the backoff to initialMs (ms); protects against flapping links. */
  stableMs?: number;
}

/** Wait before retry number `attempt` (0 = first retry). */
export function backoffDelay(attempt: number, o: BackoffOptions = {}): number {
  const initial = o.initialMs ?? 1_000;
  const max = o.maxMs ?? 60_000;
  return Math.min(max, initial * (o.factor ?? 2) ** attempt);
}

export interface ReconnectingOptions<T extends Transport> {
  /** Makes a new, unopened transport for each attempt (a closed transport cannot be reopened). */
  create: () => T;
  backoff?: BackoffOptions;
  timers?: Timers;
  now?: () => number;
  log?: Logger;
}

export interface RetryInfo {
  attempt: number;
  delayMs: number;
  error: TransportError;
}

/**
 * Events: 'open' (transport), 'down' (reason: TransportError) when an open transport drops,
 * 'retry' (RetryInfo) when an attempt is scheduled. A deliberate close() of the current transport
 * (no reason) is not retried; call start() again to resume.
 */
export class Reconnecting<T extends Transport> extends EventEmitter {
  private readonly opts: ReconnectingOptions<T>;
  private readonly timers: Timers;
  private readonly now: () => number;
  private running = false;
  private failures = 0;
  private timer: unknown = null;
  private openedAt = 0;
  private cur: T | null = null;

  constructor(opts: ReconnectingOptions<T>) {
    super();
    this.opts = opts;
    this.timers = opts.timers ?? systemTimers();
    this.now = opts.now ?? Date.now;
  }

  /** The open transport, or null while (re)connecting or stopped. */
  get current(): T | null {
    return this.cur;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.failures = 0;
    void this.attempt();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    const t = this.cur;
    this.cur = null;
    await t?.close();
  }

  private async attempt(): Promise<void> {
    this.timer = null;
    if (!this.running) return;
    const t = this.opts.create();
    try {
      await t.open();
    } catch (e) {
      const err = isTransportError(e) ? e : new TransportError('IO', String(e), { cause: e });
      this.schedule(err);
      return;
    }
    if (!this.running) {
      await t.close();
      return;
    }
    this.cur = t;
    this.openedAt = this.now();
    t.once('close', (reason?: TransportError) => this.onClose(t, reason));
    this.emit('open', t);
  }

  private onClose(t: T, reason?: TransportError): void {
    if (this.cur !== t) return;
    this.cur = null;
    if (reason === undefined) {
      this.running = false;
      return;
    }
    if (this.now() - this.openedAt >= (this.opts.backoff?.stableMs ?? 30_000)) this.failures = 0;
    this.emit('down', reason);
    this.schedule(reason);
  }

  private schedule(error: TransportError): void {
    if (!this.running) return;
    const delayMs = backoffDelay(this.failures, this.opts.backoff);
    const info: RetryInfo = { attempt: ++this.failures, delayMs, error };
    this.opts.log?.info({ component: 'reconnect', attempt: info.attempt, delayMs, code: error.code }, error.message);
    this.emit('retry', info);
    this.timer = this.timers.setTimeout(() => void this.attempt(), delayMs);
  }
}
