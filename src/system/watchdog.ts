// systemd watchdog keep-alive: sends WATCHDOG=1 every half of WATCHDOG_USEC, but only while the
// health callback says the main loop makes progress. A blocked event loop never runs the timer and a
// wedged one fails the health check; either way pings stop and systemd kills and restarts ferryd.

/** Timer functions the watchdog uses; tests pass fake ones (or use vitest fake timers). */
export interface IntervalTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/**
 * The watchdog timeout systemd asks of this process in ms, or null when there is none. Same rules
 * as sd_watchdog_enabled(3): WATCHDOG_USEC must be a positive integer, and when WATCHDOG_PID is set
 * it must be our pid (otherwise the variables were inherited from a parent that is the watched one).
 */
export function watchdogTimeoutMs(
  env: Readonly<Record<string, string | undefined>> = process.env,
  pid: number = process.pid,
): number | null {
  const usec = env.WATCHDOG_USEC;
  if (usec === undefined || !/^\d+$/.test(usec) || Number(usec) <= 0) return null;
  const forPid = env.WATCHDOG_PID;
  if (forPid !== undefined && forPid !== '' && forPid !== String(pid)) return null;
  return Number(usec) / 1000;
}

export interface WatchdogOptions {
  /** WatchdogSec as ms, from watchdogTimeoutMs(). */
  timeoutMs: number;
  /** Sends the keep-alive, e.g. `() => notifier.watchdog()`. */
  ping: () => unknown;
  /** True while the main loop makes progress (see createHeartbeat). A throw counts as false. */
  isAlive: () => boolean;
  /** Called once each time pings stop because isAlive() turned false, e.g. to log it. */
  onUnhealthy?: () => void;
  /** Called when ping() throws; the watchdog keeps trying on the next tick. */
  onError?: (e: unknown) => void;
  timers?: IntervalTimers;
}

export interface Watchdog {
  /** How often a ping is attempted, in ms (half the timeout). */
  readonly intervalMs: number;
  stop(): void;
}

/** Starts pinging; call stop() on shutdown (the timer is unref'd, so it never holds the process up). */
export function startWatchdog(opts: WatchdogOptions): Watchdog {
  const timers: IntervalTimers = opts.timers ?? {
    setInterval: (fn, ms) => setInterval(fn, ms),
    clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
  };
  // Half the timeout, as sd_watchdog_enabled(3) recommends: one late tick still lands in time.
  const intervalMs = Math.max(1, Math.floor(opts.timeoutMs / 2));
  let healthy = true;
  const tick = (): void => {
    let alive: boolean;
    try {
      alive = opts.isAlive();
    } catch {
      alive = false;
    }
    if (!alive) {
      if (healthy) opts.onUnhealthy?.();
      healthy = false;
      return;
    }
    healthy = true;
    try {
      opts.ping();
    } catch (e) {
      opts.onError?.(e);
    }
  };
  const handle = timers.setInterval(tick, intervalMs);
  (handle as { unref?: () => void } | null)?.unref?.();
  let stopped = false;
  return {
    intervalMs,
    stop: () => {
      if (stopped) return;
      stopped = true;
      timers.clearInterval(handle);
    },
  };
}

export interface Heartbeat {
  /** Call from the main loop (e.g. each scheduler pass) to say it is making progress. */
  beat(): void;
  /** True when the last beat is at most maxAgeMs old: pass as WatchdogOptions.isAlive. */
  isAlive(): boolean;
}

/** A liveness flag for the watchdog: the loop beats, the watchdog asks. Starts as just-beaten. */
export function createHeartbeat(now: () => number, maxAgeMs: number): Heartbeat {
  let last = now();
  return {
    beat: () => {
      last = now();
    },
    isAlive: () => now() - last <= maxAgeMs,
  };
}
