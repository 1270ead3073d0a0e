// What progress costs: how often the tracker asks for a durable row and for an event.
import { describe, expect, it } from 'vitest';
import { ProgressTracker } from '../../src/scheduler/progress.js';

const MiB = 1024 * 1024;

function tracker(startBytes = 0) {
  let now = 1_000_000;
  const t = new ProgressTracker(startBytes, { checkpointBytes: MiB, checkpointMs: 1000 }, () => now);
  return { t, advance: (ms: number) => (now += ms) };
}

describe('ProgressTracker', () => {
  it('on a slow link persists per checkpointBytes moved, else once the longest gap has passed; never per chunk', () => {
    const { t, advance } = tracker();
    const persisted: number[] = [];
    // 64 KiB/s in 16 KiB chunks for 40 s: 1 MiB after 16 s, then the next MiB would take another 16.
    for (let i = 1; i <= 160; i++) {
      advance(250);
      if (t.observe(i * 16 * 1024).persist) persisted.push(i * 250);
    }
    expect(persisted).toEqual([16_000, 32_000]);
    // Then 1 KiB/s: a row once the longest gap (30 s) has passed since the last one (at 32 s), not per bytes.
    const slow: number[] = [];
    for (let s = 1; s <= 65; s++) {
      advance(1000);
      if (t.observe(160 * 16 * 1024 + s * 1024).persist) slow.push(s);
    }
    expect(slow).toEqual([22, 52]);
  });

  it('persists at most once a second however fast the bytes come', () => {
    const { t, advance } = tracker();
    let n = 0;
    for (let i = 1; i <= 100; i++) {
      advance(10);
      if (t.observe(i * 4 * MiB).persist) n++;
    }
    expect(n).toBe(1);
  });

  it('emits at most once a second', () => {
    const { t, advance } = tracker();
    let n = 0;
    for (let i = 1; i <= 100; i++) {
      advance(20);
      if (t.observe(i).emit) n++;
    }
    expect(n).toBe(2);
  });

  it('does not write the row again right after a resume checkpoint carried the bytes', () => {
    const { t, advance } = tracker();
    advance(900);
    t.persisted(900 * 1024);
    advance(200); // 1.1 s since start, 0.2 s since the checkpoint
    expect(t.observe(2000 * 1024).persist).toBe(false);
    advance(900); // the runner checkpoints itself: its rows carry the bytes; ours wait for twice the bytes and time
    expect(t.observe(2800 * 1024).persist).toBe(false);
    advance(1000);
    expect(t.observe(2900 * 1024).persist).toBe(false); // 2.1 s but 1.95 MiB since
    expect(t.observe(2950 * 1024).persist).toBe(true); // 2 MiB
  });

  it('never persists bytes it already persisted', () => {
    const { t, advance } = tracker(5000);
    advance(5000);
    expect(t.observe(5000).persist).toBe(false);
  });

  it('with the runner checkpointing on the same cadence, adds no row of its own', () => {
    const { t, advance } = tracker();
    let rows = 0;
    let bytes = 0;
    // 2 MiB/s in 50 ms reads for 10 s; the runner's resume checkpoint (with the bytes) every 1 s.
    for (let ms = 50; ms <= 10_000; ms += 50) {
      advance(50);
      bytes += 100 * 1024;
      if (t.observe(bytes).persist) rows++;
      if (ms % 1000 === 0) t.persisted(bytes);
    }
    expect(rows).toBeLessThanOrEqual(1); // before its first checkpoint only
    // The runner's checkpoints stop (a stalled disk): rows come back at half the pace, per 2 MiB and 2 s.
    let later = 0;
    for (let ms = 50; ms <= 6000; ms += 50) {
      advance(50);
      bytes += 64 * 1024;
      if (t.observe(bytes).persist) later++;
    }
    expect(later).toBe(3); // 1.28 MiB/s: 2 MiB takes 1.6 s, so a row every 2 s
  });

  it('with the runner checkpointing about once a second, its checkpoints are the events: ours only fill a gap of 2 s', () => {
    const { t, advance } = tracker();
    let events = 0;
    let bytes = 0;
    for (let ms = 50; ms <= 10_000; ms += 50) {
      advance(50);
      bytes += 100 * 1024;
      if (t.observe(bytes).emit) events++;
      if (ms % 1000 === 0) t.persisted(bytes); // announced as an event of its own
    }
    expect(events).toBe(1); // before its first checkpoint only
    let later = 0;
    for (let ms = 50; ms <= 6000; ms += 50) {
      advance(50);
      if (t.observe((bytes += 1024)).emit) later++;
    }
    expect(later).toBe(3);
  });
});
