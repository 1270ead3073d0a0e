// The wake-up batcher's rules, on a clock the test moves: what low-water mark it asks for, and that it
// never asks for more than the body still has to send. The kernel side is in http1-client.test.ts.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LATE_MS, MAX_BATCH, MAX_RATE, MIN_BATCH, TLS_RECORD_MARGIN, WakeBatcher } from '../../src/transfer/http1/wake-batching.js';

const KiB = 1024;
const MiB = 1024 * KiB;

function rig(margin = 0) {
  let t = 0;
  const calls: number[] = [];
  const b = new WakeBatcher({ apply: (n) => void calls.push(n), margin, now: () => t });
  return {
    b,
    calls,
    /** `bytesPerS` for `ms`, in reads every 10 ms; `left` counts down from `total`. */
    stream(bytesPerS: number, ms: number, total = 1e12): number {
      let left = total;
      for (let at = 0; at < ms; at += 10) {
        t += 10;
        const n = Math.min(left, Math.round(bytesPerS / 100));
        left -= n;
        b.onRead(n, left);
      }
      return left;
    },
    read(n: number, left: number | null, afterMs = 10) {
      t += afterMs;
      b.onRead(n, left);
    },
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('wake-up batching (SO_RCVLOWAT)', () => {
  it('waits for a rate before batching, then asks for a fifth of a second of it, at most one lent read', () => {
    const r = rig();
    r.read(16 * KiB, 10 * MiB);
    expect(r.calls).toEqual([]); // no rate yet: every byte wakes
    r.stream(1 * MiB, 600);
    expect(r.b.lowat).toBeGreaterThan(0.18 * MiB);
    expect(r.b.lowat).toBeLessThan(0.22 * MiB);
    r.stream(8 * MiB, 1200); // 1.6 MiB wanted: capped
    expect(r.b.lowat).toBeLessThanOrEqual(MAX_BATCH);
    expect(r.b.lowat).toBeGreaterThan(0.75 * MAX_BATCH); // within the quarter it does not bother to move
  });

  it('never asks for more than the body still has to send, less a TLS record over TLS; the end comes down to 1', () => {
    for (const margin of [0, TLS_RECORD_MARGIN]) {
      const r = rig(margin);
      let left = r.stream(2 * MiB, 1000, 3 * MiB);
      expect(r.b.lowat).toBe(MAX_BATCH);
      // From here every read brings exactly what the kernel would wake us for; the rest must still wake us.
      while (left > 0) {
        const n = Math.min(left, Math.max(r.b.lowat, 1000));
        left -= n;
        r.read(n, left);
        expect(r.b.lowat === 1 || r.b.lowat <= left - margin).toBe(true);
      }
      expect(r.calls.at(-1)).toBe(1);
    }
  });

  it('does not batch a body of unknown length, a slow link or one faster than MAX_RATE', () => {
    const unknown = rig();
    for (let i = 0; i < 100; i++) unknown.read(20 * KiB, null);
    expect(unknown.calls).toEqual([]);
    const slow = rig();
    slow.stream((MIN_BATCH * 5) / 2, 2000); // a batch would be MIN_BATCH / 2
    expect(slow.calls).toEqual([]);
    const fast = rig();
    fast.stream(MAX_RATE * 2, 2000);
    expect(fast.calls).toEqual([]);
    // A link that speeds up past MAX_RATE stops batching.
    const up = rig();
    up.stream(4 * MiB, 1000);
    expect(up.b.lowat).toBeGreaterThan(1);
    up.stream(MAX_RATE * 2, 1000);
    expect(up.b.lowat).toBe(1);
  });

  it('asks the kernel only for a real change (a quarter or more), not on every read', () => {
    const r = rig();
    r.stream(2 * MiB, 5000);
    expect(r.calls.length).toBeLessThanOrEqual(2);
  });

  it('drops back to 1 when nothing is read for LATE_MS (a link that slowed must not sit on bytes)', () => {
    vi.useFakeTimers();
    const r = rig();
    r.stream(2 * MiB, 1000);
    expect(r.b.lowat).toBeGreaterThan(1);
    vi.advanceTimersByTime(LATE_MS - 100);
    r.read(r.b.lowat, 1e9, LATE_MS - 100); // a read in time puts the deadline off
    vi.advanceTimersByTime(LATE_MS - 100);
    expect(r.b.lowat).toBeGreaterThan(1);
    vi.advanceTimersByTime(200);
    expect(r.b.lowat).toBe(1);
    expect(r.calls.at(-1)).toBe(1);
    // It measures again from there, at 1 until a window passed.
    r.read(50 * KiB, 1e9, 2000);
    expect(r.b.lowat).toBe(1);
  });

  it('reset puts 1 back for the next head; a failing setsockopt or a closed socket turns it off for good', () => {
    vi.useFakeTimers();
    const r = rig();
    r.stream(2 * MiB, 1000);
    r.b.reset();
    expect(r.calls.at(-1)).toBe(1);
    r.b.stop();
    const before = r.calls.length;
    r.stream(2 * MiB, 1000);
    vi.advanceTimersByTime(5 * LATE_MS);
    expect(r.calls.length).toBe(before);

    let tries = 0;
    let t = 0;
    const failing = new WakeBatcher({ apply: () => { tries++; throw new Error('EBADF'); }, margin: 0, now: () => t });
    for (let i = 0; i < 300; i++) {
      t += 10;
      failing.onRead(40 * KiB, 1e9);
    }
    expect(tries).toBe(1);
    expect(failing.lowat).toBe(1);
  });
});
