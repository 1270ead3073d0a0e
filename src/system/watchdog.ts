// systemd watchdog keep-alive: sends WATCHDOG=1 every half of WATCHDOG_USEC, but only while the
// health callback says the main loop makes progress. A blocked event loop never runs the timer and a
// wedged one fails the health check; either way pings stop and systemd kills and restarts ferryd.
import type { Logger } from '../log.js';

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

export interface PingScheduleOptions {
  /** WatchdogSec as ms, from watchdogTimeoutMs(). */
  timeoutMs: number;
  /** Sends the keep-alive, e.g. `() => notifier.watchdog()`. */
  ping: () => unknown;
  /** True while the main loop makes progress (see createHeartbeat). A throw counts as false. */
  isAlive: () => boolean;
  /** Called once each time pings stop because isAlive() turned false, e.g. to log it. */
  onUnhealthy?: () => void;
  /** Called when ping() throws; the schedule keeps trying on the next tick. */
  onError?: (e: unknown) => void;
  timers?: IntervalTimers;
}

export interface PingSchedule {
  /** How often a ping is attempted, in ms (half the timeout). */
  readonly intervalMs: number;
  stop(): void;
}

/** Pings on a fixed schedule while healthy; the timer is unref'd so it never holds the process up. */
export function schedulePings(opts: PingScheduleOptions): PingSchedule {
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

export interface WatchdogOptions {
  /** Where pings go: a Notifier (sd-notify.ts) or anything with watchdog(). */
  notify: { watchdog(): unknown };
  /**
   * Extra liveness test beyond "the event loop still runs timers" (which a blocked loop fails by
   * itself): e.g. a Heartbeat the scheduler beats each pass, to catch a loop stuck on a promise.
   */
  isAlive?: () => boolean;
  log?: Logger;
  env?: Readonly<Record<string, string | undefined>>;
  pid?: number;
  timers?: IntervalTimers;
}

export interface Watchdog {
  /** False when systemd asked for no watchdog (no WATCHDOG_USEC for this pid). */
  readonly enabled: boolean;
  /** Ping period in ms, or null when disabled. */
  readonly intervalMs: number | null;
  stop(): void;
}

/**
 * Reads WATCHDOG_USEC/WATCHDOG_PID and, when systemd wants a watchdog, pings at half its timeout
 * while healthy. Safe to call unconditionally: without systemd it does nothing and stop() is a no-op.
 */
export function startWatchdog(opts: WatchdogOptions): Watchdog {
  const timeoutMs = watchdogTimeoutMs(opts.env ?? process.env, opts.pid ?? process.pid);
  const log = opts.log?.child({ component: 'watchdog' });
  if (timeoutMs === null) return { enabled: false, intervalMs: null, stop: () => {} };
  const schedule = schedulePings({
    timeoutMs,
    ping: () => opts.notify.watchdog(),
    isAlive: opts.isAlive ?? (() => true),
    onUnhealthy: () => log?.warn({ timeoutMs }, 'main loop not alive: withholding watchdog pings, systemd will restart ferryd'),
    onError: (e) => log?.warn({ err: e instanceof Error ? e.message : String(e) }, 'watchdog ping failed'),
    ...(opts.timers ? { timers: opts.timers } : {}),
  });
  log?.info({ timeoutMs, intervalMs: schedule.intervalMs }, 'systemd watchdog enabled');
  return { enabled: true, intervalMs: schedule.intervalMs, stop: () => schedule.stop() };
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
