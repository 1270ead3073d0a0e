// Watchdog pings run at half of WATCHDOG_USEC in fake time, and stop while the loop is not alive.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHeartbeat, schedulePings, startWatchdog, watchdogTimeoutMs } from '../../src/system/watchdog.js';

describe('watchdogTimeoutMs', () => {
  it('reads WATCHDOG_USEC in ms', () => {
    expect(watchdogTimeoutMs({ WATCHDOG_USEC: '30000000' }, 42)).toBe(30_000);
  });
  it('applies when WATCHDOG_PID names this process', () => {
    expect(watchdogTimeoutMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '42' }, 42)).toBe(30_000);
  });
  it('is off when WATCHDOG_PID names another process (inherited environment)', () => {
    expect(watchdogTimeoutMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '41' }, 42)).toBeNull();
  });
  it('is off when WATCHDOG_USEC is missing, zero or not a number', () => {
    expect(watchdogTimeoutMs({}, 42)).toBeNull();
    expect(watchdogTimeoutMs({ WATCHDOG_USEC: '0' }, 42)).toBeNull();
    expect(watchdogTimeoutMs({ WATCHDOG_USEC: '30s' }, 42)).toBeNull();
  });
});

describe('watchdog ping schedule (fake timers)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('pings at half the timeout', () => {
    const ping = vi.fn();
    const s = schedulePings({ timeoutMs: 30_000, ping, isAlive: () => true });
    expect(s.intervalMs).toBe(15_000);
    vi.advanceTimersByTime(14_999);
    expect(ping).toHaveBeenCalledTimes(0);
    vi.advanceTimersByTime(1);
    expect(ping).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(45_000);
    expect(ping).toHaveBeenCalledTimes(4);
    s.stop();
  });

  it('withholds pings while the main loop is not alive and resumes when it is', () => {
    const ping = vi.fn();
    const onUnhealthy = vi.fn();
    let alive = true;
    const s = schedulePings({ timeoutMs: 1000, ping, isAlive: () => alive, onUnhealthy });
    vi.advanceTimersByTime(1000);
    expect(ping).toHaveBeenCalledTimes(2);
    alive = false;
    vi.advanceTimersByTime(5000);
    expect(ping).toHaveBeenCalledTimes(2);
    expect(onUnhealthy).toHaveBeenCalledTimes(1);
    alive = true;
    vi.advanceTimersByTime(500);
    expect(ping).toHaveBeenCalledTimes(3);
    s.stop();
  });

  it('treats a throwing health check as not alive, and survives a throwing ping', () => {
    const onError = vi.fn();
    let pings = 0;
    const s = schedulePings({
      timeoutMs: 1000,
      ping: () => {
        pings++;
        throw new Error('socket gone');
      },
      isAlive: () => pings < 2 || (() => { throw new Error('probe failed'); })(),
      onError,
    });
    vi.advanceTimersByTime(3000);
    expect(pings).toBe(2);
    expect(onError).toHaveBeenCalledTimes(2);
    s.stop();
  });

  it('stops pinging after stop()', () => {
    const ping = vi.fn();
    const s = schedulePings({ timeoutMs: 1000, ping, isAlive: () => true });
    vi.advanceTimersByTime(500);
    s.stop();
    s.stop();
    vi.advanceTimersByTime(5000);
    expect(ping).toHaveBeenCalledTimes(1);
  });

  it('startWatchdog does nothing without WATCHDOG_USEC', () => {
    const notify = { watchdog: vi.fn() };
    const w = startWatchdog({ notify, env: {}, pid: 1 });
    expect(w.enabled).toBe(false);
    vi.advanceTimersByTime(60_000);
    expect(notify.watchdog).not.toHaveBeenCalled();
    w.stop();
  });

  it('startWatchdog pings the notifier at half of WATCHDOG_USEC while a heartbeat is fresh', () => {
    const notify = { watchdog: vi.fn() };
    const beat = createHeartbeat(() => Date.now(), 20_000);
    const w = startWatchdog({ notify, isAlive: beat.isAlive, env: { WATCHDOG_USEC: '30000000', WATCHDOG_PID: '7' }, pid: 7 });
    expect(w).toMatchObject({ enabled: true, intervalMs: 15_000 });
    vi.advanceTimersByTime(15_000);
    expect(notify.watchdog).toHaveBeenCalledTimes(1);
    // The main loop never beats again: at the 30 s tick the beat is 30 s old (> 20 s), no ping.
    vi.advanceTimersByTime(60_000);
    expect(notify.watchdog).toHaveBeenCalledTimes(1);
    beat.beat();
    vi.advanceTimersByTime(15_000);
    expect(notify.watchdog).toHaveBeenCalledTimes(2);
    w.stop();
  });
});
