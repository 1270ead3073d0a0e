// The operator's cost rules as pure functions: time windows (a job's own `window`, and
// policy.networkWindows for background work on a network kind) and per-client daily byte quotas.
// A pass builds one CostContext (the instant, the zone, today's usage), so each window is evaluated
// once per pass however many jobs name it. Returns reasons plus the instant the hold ends by itself.
import type { Config } from '../config/schema.js';
import type { Conditions } from '../conditions/snapshot.js';
import type { Job, Reason } from '../model/job.js';
import { reason } from './reasons.js';
import { instantOf, wallTime, windowState, type WindowState } from './windows.js';

/** Clock skew and wall-clock jumps (NTP at boot) are caught by re-deciding at least this often while a window matters. */
export const WINDOW_RECHECK_MS = 15_000;

export interface CostContext {
  readonly now: number;
  /** Open/next edges of a named window at `now`; null when the config has no such window. */
  window(name: string): WindowState | null;
  /** Bytes `client` moved today (local day) on `network`. */
  usedToday(client: string, network: string): number;
  /** The client's daily allowance on `network`, or null when it has none. */
  dailyLimit(client: string, network: string): number | null;
  /** Start of the next local day. */
  nextDayAt(): number;
  /** When the next pass should run for the windows evaluated so far (their next edges, capped). */
  wakeAt(): number;
}

export interface CostContextInput {
  policy: Pick<Config['policy'], 'windows'>;
  clients: Pick<Config['clients'], 'list'>;
  now: number;
  zone: string;
  usedToday?: (client: string, network: string) => number;
}

export function createCostContext(o: CostContextInput): CostContext {
  const memo = new Map<string, WindowState | null>();
  let wake = Infinity;
  let dayEnd: number | null = null;
  return {
    now: o.now,
    window(name) {
      let s = memo.get(name);
      if (s === undefined) {
        const spec = o.policy.windows[name];
        s = spec ? windowState(spec, o.now, o.zone) : null;
        memo.set(name, s);
        wake = Math.min(wake, o.now + WINDOW_RECHECK_MS, s?.nextOpening ?? Infinity, s?.nextClosing ?? Infinity);
      }
      return s;
    },
    usedToday: (client, network) => o.usedToday?.(client, network) ?? 0,
    dailyLimit(client, network) {
      const entry = o.clients.list.find((c) => c.name === client);
      const v = (entry?.dailyBytes as Record<string, number | undefined> | undefined)?.[network];
      return v ?? null;
    },
    nextDayAt() {
      if (dayEnd === null) {
        const w = wallTime(o.now, o.zone);
        dayEnd = instantOf(w.y, w.mo, w.d + 1, 0, o.zone);
      }
      return dayEnd;
    },
    wakeAt: () => wake,
  };
}

export type CostTransfer = Pick<Job, 'kind' | 'userInitiated'> & { owner?: string; window?: string | null };

export interface CostHold {
  reasons: Reason[];
  /** The earliest instant all these reasons could be gone by themselves; null when unknown. */
  until: number | null;
}

/** Why the operator's cost rules hold this job now, or null when they do not. */
export function costHold(t: CostTransfer, c: Conditions, p: Pick<Config['policy'], 'networkWindows'>, ctx: CostContext): CostHold | null {
  let reasons: Reason[] | null = null;
  let until = -Infinity;
  let unknown = false;
  const hold = (r: Reason, at: number | null): void => {
    (reasons ??= []).push(r);
    if (at === null) unknown = true;
    else until = Math.max(until, at);
  };
  if (t.window) {
    const s = ctx.window(t.window);
    if (s === null || !s.open) {
      const opensAtMs = s?.nextOpening ?? null;
      hold(reason('outside-window', { windowName: t.window, opensAtMs }), opensAtMs);
    }
  }
  const net = c.network.kind;
  const http = t.kind !== 'device-sync';
  const background = http && !t.userInitiated && net !== 'none';
  if (background) {
    const name = (p.networkWindows as Record<string, string | undefined>)[net];
    if (name !== undefined && name !== t.window) {
      const s = ctx.window(name);
      if (s === null || !s.open) {
        const opensAtMs = s?.nextOpening ?? null;
        hold(reason('outside-window', { windowName: name, network: net, opensAtMs }), opensAtMs);
      }
    }
    if (t.owner !== undefined) {
      const limit = ctx.dailyLimit(t.owner, net);
      if (limit !== null) {
        const used = ctx.usedToday(t.owner, net);
        if (used >= limit) {
          hold(reason('client-quota', { client: t.owner, usedBytes: used, limitBytes: limit, network: net, opensAtMs: ctx.nextDayAt() }), ctx.nextDayAt());
        }
      }
    }
  }
  if (reasons === null) return null;
  return { reasons, until: unknown || until === -Infinity ? null : until };
}
