// Bandwidth limits as one shared token bucket per limit: every running non-exempt transfer (uploads and
// downloads) takes from the same bucket, so the limit holds for their sum. The engine calls one Pacer
// per attempt for each body chunk; a chunk may overdraw the bucket (debt), and the next chunk waits
// until a coarse timer (TICK_MS) has refilled it, so the long-run rate is exact while CPU stays a
// timer wake-up per tick, not per byte. Every chunk is also reported to `onBytes` (byte accounting).
import type { Job } from '../model/job.js';

export interface Limit {
  /** Transfers with the same key share one bucket. */
  key: string;
  bytesPerSecond: number;
}

export type PacedTransfer = Pick<Job, 'owner' | 'userInitiated' | 'expedited' | 'direction'>;

export interface ThrottleDeps {
  /** The limit that applies to this transfer now, or null. Asked again at most every RULE_TTL_MS. */
  limitFor(t: PacedTransfer): Limit | null;
  /** Body bytes moved on the wire for `t` (rx: received, tx: handed to the socket). */
  onBytes?(t: PacedTransfer, direction: 'rx' | 'tx', n: number): void;
  /** Called once per attempt when it ends (flush what was counted). */
  onAttemptEnd?(t: PacedTransfer): void;
  now?: () => number;
}

export interface Pacer {
  /** n body bytes moved. false: over the limit, pause the source and wait for `ready`. */
  take(n: number): boolean;
  /** Calls `cb` once the bucket has tokens again. */
  ready(cb: () => void): void;
  /** For pull-based senders: waits (until `signal` aborts) for the bucket, then takes n. */
  acquire(n: number, signal: AbortSignal): Promise<void>;
  /** True while a limit applies: senders then keep their chunks small. */
  readonly limited: boolean;
  end(): void;
}

export interface Throttle {
  pacer(t: PacedTransfer): Pacer;
}

const TICK_MS = 100;
const RULE_TTL_MS = 250;
/** Bucket depth: at most this much of a second's worth passes in one burst. */
const BURST_S = 0.5;

interface Bucket {
  rate: number;
  tokens: number;
  at: number;
  waiters: Array<() => void>;
  timer: NodeJS.Timeout | null;
}

export function createThrottle(deps: ThrottleDeps): Throttle {
  const now = deps.now ?? Date.now;
  const buckets = new Map<string, Bucket>();

  function bucketFor(limit: Limit): Bucket {
    let b = buckets.get(limit.key);
    if (!b || b.rate !== limit.bytesPerSecond) {
      const waiters = b?.waiters ?? [];
      if (b?.timer) clearTimeout(b.timer);
      b = { rate: limit.bytesPerSecond, tokens: limit.bytesPerSecond * BURST_S, at: now(), waiters, timer: null };
      buckets.set(limit.key, b);
      if (waiters.length > 0) arm(b);
    }
    return b;
  }

  function refill(b: Bucket): void {
    const t = now();
    b.tokens = Math.min(b.rate * BURST_S, b.tokens + ((t - b.at) * b.rate) / 1000);
    b.at = t;
  }

  function arm(b: Bucket): void {
    if (b.timer) return;
    // Sleep until the debt is paid, in whole ticks.
    const wait = b.tokens >= 0 ? TICK_MS : Math.max(TICK_MS, Math.ceil((-b.tokens * 1000) / b.rate / TICK_MS) * TICK_MS);
    b.timer = setTimeout(() => {
      b.timer = null;
      refill(b);
      if (b.tokens < 0) return arm(b);
      const ws = b.waiters;
      b.waiters = [];
      for (const w of ws) w();
    }, wait);
  }

  return {
    pacer(t) {
      let limit: Limit | null = null;
      let checkedAt = -Infinity;
      let ended = false;
      const current = (): Bucket | null => {
        const n = now();
        if (n - checkedAt >= RULE_TTL_MS) {
          limit = deps.limitFor(t);
          checkedAt = n;
        }
        return limit === null ? null : bucketFor(limit);
      };
      const dir = t.direction === 'download' ? 'rx' : 'tx';
      const p: Pacer = {
        take(n) {
          deps.onBytes?.(t, dir, n);
          const b = current();
          if (b === null) return true;
          refill(b);
          b.tokens -= n;
          return b.tokens >= 0;
        },
        ready(cb) {
          const b = current();
          if (b === null) return cb();
          refill(b);
          if (b.tokens >= 0) return cb();
          b.waiters.push(cb);
          arm(b);
        },
        async acquire(n, signal) {
          const b = current();
          if (b !== null) {
            refill(b);
            if (b.tokens < 0) {
              await new Promise<void>((resolve) => {
                if (signal.aborted) return resolve();
                const done = (): void => {
                  signal.removeEventListener('abort', done);
                  resolve();
                };
                signal.addEventListener('abort', done, { once: true });
                b.waiters.push(done);
                arm(b);
              });
            }
          }
          if (!signal.aborted) p.take(n); // an aborted attempt sends nothing more
        },
        get limited() {
          return current() !== null;
        },
        end() {
          if (ended) return;
          ended = true;
          deps.onAttemptEnd?.(t);
        },
      };
      return p;
    },
  };
}
