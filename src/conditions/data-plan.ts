// Data-plan usage per interface from the kernel byte counters, folded into SQLite so that restarts,
// reboots (counters back to zero), driver reloads and 32-bit wraps neither lose nor double-count bytes.
// Invariant: usedBytes only grows within a plan period; a new period starts from zero.
import { join } from 'node:path';
import type { Logger } from '../log.js';
import type { UsageRecord, UsageStore } from '../queue/usage-store.js';
import type { DataPlanConditions } from './snapshot.js';
import { readIntAttr } from './sysfs-read.js';

export interface PlanConfig {
  monthlyBytes: number;
  /** Day of the month the allowance renews; 1 when absent. */
  resetDay?: number;
}

export interface DataPlanConfig {
  interfaces: Record<string, PlanConfig>;
  approachingPercent: number;
}

export interface CounterSample {
  rx: number;
  tx: number;
  ifindex: number | null;
}

const U32 = 2 ** 32;

export async function readCounters(sysfsRoot: string, iface: string): Promise<CounterSample | null> {
  const base = join(sysfsRoot, 'class', 'net', iface);
  const rx = await readIntAttr(join(base, 'statistics', 'rx_bytes'));
  const tx = await readIntAttr(join(base, 'statistics', 'tx_bytes'));
  if (rx === null || tx === null) return null;
  return { rx, tx, ifindex: await readIntAttr(join(base, 'ifindex')) };
}

/** Bytes a counter moved from prev to cur. */
export function counterDelta(prev: number, cur: number, restarted: boolean): number {
  if (restarted) return cur; // a new boot or a re-created interface counts from zero again
  if (cur >= prev) return cur - prev;
  // Went down within one boot: a 32-bit counter (unsigned long on 32-bit ARM drivers) that wrapped,
  // when the wrap explains a plausible amount; otherwise the driver reset it.
  if (prev < U32) {
    const wrapped = U32 - prev + cur;
    if (wrapped < U32 / 2) return wrapped;
  }
  return cur;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** Local date the plan period containing `nowMs` started; a reset day past the month's end means its last day. */
export function periodStart(nowMs: number, resetDay: number): string {
  const d = new Date(nowMs);
  let y = d.getFullYear();
  let m = d.getMonth();
  const dayIn = (yy: number, mm: number) => Math.min(resetDay, new Date(yy, mm + 1, 0).getDate());
  if (d.getDate() < dayIn(y, m)) {
    m -= 1;
    if (m < 0) {
      m = 11;
      y -= 1;
    }
  }
  return `${y}-${pad(m + 1)}-${pad(dayIn(y, m))}`;
}

export function planState(used: number, limit: number, approachingPercent: number): DataPlanConditions['state'] {
  if (limit <= 0 || used >= limit) return 'over';
  return (used / limit) * 100 >= approachingPercent ? 'approaching' : 'ok';
}

export interface SampleContext {
  iface: string;
  bootId: string | null;
  periodStart: string;
  now: number;
}

/** Folds one counter sample into the stored record (pure). */
export function foldSample(prev: UsageRecord | null, s: CounterSample, ctx: SampleContext): UsageRecord {
  const base = { interface: ctx.iface, periodStart: ctx.periodStart, lastRx: s.rx, lastTx: s.tx, bootId: ctx.bootId, ifindex: s.ifindex, updatedAt: ctx.now };
  // First sight: what the counters hold may predate the plan period, so counting starts now.
  if (prev === null) return { ...base, usedBytes: 0 };
  const restarted =
    (prev.bootId !== null && ctx.bootId !== null && prev.bootId !== ctx.bootId) ||
    (prev.ifindex !== null && s.ifindex !== null && prev.ifindex !== s.ifindex);
  const delta = counterDelta(prev.lastRx, s.rx, restarted) + counterDelta(prev.lastTx, s.tx, restarted);
  const carried = prev.periodStart === ctx.periodStart ? prev.usedBytes : 0;
  return { ...base, usedBytes: carried + delta };
}

export interface DataPlanTrackerDeps {
  sysfsRoot: string;
  config: DataPlanConfig;
  usage: UsageStore;
  bootId: string | null;
  log: Logger;
  now: () => number;
  /** Writes are spaced this far apart (SD cards wear); counters stored with the usage make a late write lossless. */
  persistEveryMs?: number;
}

export interface DataPlanTracker {
  /** Reads the counters of every interface with a plan and folds them in. */
  sample(): Promise<void>;
  /** The plan state of an interface, or null when it has no plan. */
  state(iface: string | null): DataPlanConditions | null;
  /** Writes whatever is not yet persisted. */
  flush(): void;
}

export function createDataPlanTracker(deps: DataPlanTrackerDeps): DataPlanTracker {
  const persistEveryMs = deps.persistEveryMs ?? 60_000;
  const records = new Map<string, UsageRecord>();
  const dirty = new Set<string>();
  const writtenAt = new Map<string, number>();
  const log = deps.log.child({ reader: 'data-plan' });
  for (const iface of Object.keys(deps.config.interfaces)) {
    const r = deps.usage.get(iface);
    if (r) records.set(iface, r);
  }

  function write(iface: string): void {
    const r = records.get(iface);
    if (!r) return;
    deps.usage.put(r);
    dirty.delete(iface);
    writtenAt.set(iface, r.updatedAt);
  }

  return {
    async sample() {
      const now = deps.now();
      for (const [iface, plan] of Object.entries(deps.config.interfaces)) {
        const s = await readCounters(deps.sysfsRoot, iface);
        if (s === null) continue; // modem unplugged: keep what we have
        const prev = records.get(iface) ?? null;
        const next = foldSample(prev, s, { iface, bootId: deps.bootId, periodStart: periodStart(now, plan.resetDay ?? 1), now });
        records.set(iface, next);
        dirty.add(iface);
        const before = prev ? planState(prev.usedBytes, plan.monthlyBytes, deps.config.approachingPercent) : null;
        const after = planState(next.usedBytes, plan.monthlyBytes, deps.config.approachingPercent);
        if (before !== after) log.info({ interface: iface, usedBytes: next.usedBytes, limitBytes: plan.monthlyBytes, state: after }, 'data plan state');
        const last = writtenAt.get(iface);
        if (prev === null || before !== after || prev.periodStart !== next.periodStart || last === undefined || now - last >= persistEveryMs) {
          write(iface);
        }
      }
    },
    state(iface) {
      if (iface === null) return null;
      const plan = deps.config.interfaces[iface];
      if (!plan) return null;
      const r = records.get(iface);
      const current = periodStart(deps.now(), plan.resetDay ?? 1);
      const used = r && r.periodStart === current ? r.usedBytes : 0;
      return { state: planState(used, plan.monthlyBytes, deps.config.approachingPercent), usedBytes: used, limitBytes: plan.monthlyBytes, interface: iface };
    },
    flush() {
      for (const iface of [...dirty]) write(iface);
    },
  };
}
