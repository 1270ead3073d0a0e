// The part of a decision pass over the jobs that are not running: each is decided by the pure rules
// (policy/decide.ts) and what changed is returned for the scheduler to commit in one transaction.
// Only what a restart could not re-derive is durable: starts, failures, preference switches. Waiting
// reasons live in memory (start-up re-decides everything), which spares the SD card a write per queued
// transfer on every metered or roaming flap.
import type { Config } from '../config/schema.js';
import type { Conditions } from '../conditions/snapshot.js';
import type { Logger } from '../log.js';
import { isFinal, type Job } from '../model/job.js';
import type { JobEventName } from '../model/transitions.js';
import type { CostContext } from '../policy/cost-rules.js';
import { decide } from '../policy/decide.js';
import { sameReasons } from '../policy/reasons.js';
import { isoAt } from './iso-time.js';

export type Change = { id: string; change: Partial<Job>; event?: JobEventName; durable: boolean };

export interface WaitingDecisions {
  changes: Change[];
  /** Jobs the rules let run now, in queue order (the scheduler picks which start). */
  candidates: Job[];
  /** The earliest time a waiting job may change by itself (epoch ms; Infinity when none). */
  nextWake: number;
}

export function decideWaiting(
  jobs: Iterable<Job>,
  conditions: Conditions,
  policy: Config['policy'],
  now: number,
  cost: CostContext | undefined,
  log: Logger,
): WaitingDecisions {
  const changes: Change[] = [];
  const candidates: Job[] = [];
  let nextWake = Infinity;
  for (const t of jobs) {
    if (t.state === 'running' || t.state === 'paused' || isFinal(t.state)) continue;
    let d: ReturnType<typeof decide>;
    try {
      d = decide(t, conditions, policy, now, undefined, false, cost);
    } catch (e) {
      // One record the rules cannot read must not stop every other job.
      d = { action: 'fail', reason: { code: 'INTERNAL', message: `could not decide: ${(e as Error)?.message ?? String(e)}` } };
    }
    if (d.action === 'run') {
      candidates.push(t);
    } else if (d.action === 'wait') {
      const switched = d.switchPreferences && d.switchPreferences !== t.preferences ? d.switchPreferences : undefined;
      if (switched) log.info({ id: t.id, from: t.preferences, to: switched }, 'preferences switched by policy');
      // A cost hold that ends by itself (a window opens, a new day starts) is when to try next.
      const until = d.until !== undefined && (t.nextAttemptAt === null || Date.parse(t.nextAttemptAt) < d.until) ? isoAt(d.until, 'window') : undefined;
      if (switched || until || t.state !== 'waiting' || !sameReasons(t.reasons, d.reasons)) {
        const change: Partial<Job> = { reasons: d.reasons }; // no conditional spreads: V8's slow copy, per job
        if (switched) change.preferences = switched;
        if (until) change.nextAttemptAt = until;
        changes.push({ id: t.id, change, event: 'hold', durable: Boolean(switched) });
      }
      const next = until ?? t.nextAttemptAt;
      if (next) nextWake = Math.min(nextWake, Date.parse(next));
    } else {
      changes.push({ id: t.id, change: { reasons: [], nextAttemptAt: null, error: { code: d.reason.code, message: d.reason.message } }, event: 'fail', durable: true });
    }
  }
  return { changes, candidates, nextWake };
}
