// The transfer policy of POLICY.md §3 and §6 as one pure function: given a job, the conditions, the config
// and the time, say run, wait (with every reason that holds) or fail. Each kind of job has its ordered
// list of rules; reasons come in a fixed order: network, presence, power, size, constraints, cost controls
// (windows, quotas), backoff, running checks. No I/O, no clock reads; cheap enough to re-decide every queued job on each change.
import type { Conditions } from '../conditions/snapshot.js';
import type { Preferences, Reason } from '../model/job.js';
import { backoff, constraints, costControls, needsExternalPower } from './common-rules.js';
import type { CostContext } from './cost-rules.js';
import { devicePresent } from './device-rules.js';
import { batteryUploadCap, network, runningAttempt } from './http-rules.js';
import type { PolicyConfig, PolicyTransfer, Rule, RuleContext, RunStats } from './rule.js';
import { failReason } from './size-rules.js';
import { storageFloor } from './storage-floor.js';

export { compareForRun, selectToRun, type RunOrderFields } from './run-order.js';
export { checkEnqueue } from './size-rules.js';
export type { PolicyConfig, PolicyTransfer, RunStats } from './rule.js';

export type Decision =
  | { action: 'run' }
  /** `switchPreferences`: the policy narrowed the preferences (large download on cellular); record it. */
  /** `until`: the cost rules' hold ends by itself then (window opening, new day); record it as nextAttemptAt. */
  | { action: 'wait'; reasons: Reason[]; switchPreferences?: Preferences; until?: number }
  | { action: 'fail'; reason: Reason };

/** The rules of each kind of job, in the order their reasons are listed. */
export const RULES: Readonly<Record<PolicyTransfer['kind'], readonly Rule[]>> = {
  http: [network, needsExternalPower, batteryUploadCap, constraints, storageFloor, costControls, backoff, runningAttempt],
  'device-sync': [devicePresent, needsExternalPower, constraints, storageFloor, costControls, backoff],
};

const RUN: Decision = Object.freeze({ action: 'run' }) as Decision;
let SCRATCH: RuleContext | null = null;
const OUT: Reason[] = [];

/**
 * Decides one job. `run` is given for a job that is running now; `othersWaiting` says whether runnable
 * work is held by the concurrency limit.
 */
export function decide(
  t: PolicyTransfer,
  c: Conditions,
  p: PolicyConfig,
  now: number,
  run?: RunStats,
  othersWaiting = false,
  cost?: CostContext,
): Decision {
  const fail = failReason(t, p);
  if (fail !== null) return { action: 'fail', reason: fail };
  // One context and one scratch list, reused: decide() is synchronous and runs 10 000 times a pass, and a
  // job that may run (the common case) then allocates nothing.
  const ctx = (SCRATCH ??= { c, p, now, run, othersWaiting, cost });
  ctx.c = c;
  ctx.p = p;
  ctx.now = now;
  ctx.run = run;
  ctx.othersWaiting = othersWaiting;
  ctx.cost = cost;
  ctx.switchPreferences = undefined;
  ctx.holdUntil = undefined;
  const out = OUT;
  if (out.length !== 0) out.length = 0; // a runtime call even when already empty
  const rules = RULES[t.kind];
  for (let i = 0; i < rules.length; i++) rules[i]!(t, ctx, out);
  if (out.length === 0) return RUN;
  // Optional fields set one by one: conditional spreads take V8's generic (slow) copy, per waiting job.
  const d: Decision & { action: 'wait' } = { action: 'wait', reasons: out.slice() };
  if (ctx.switchPreferences !== undefined) d.switchPreferences = ctx.switchPreferences;
  if (ctx.holdUntil !== undefined) d.until = ctx.holdUntil;
  return d;
}
