// The shape of a policy rule: it looks at one job and the conditions and adds the reasons that hold.
// Rules are pure (no I/O, no clock reads); each kind of job has its ordered list (decide.ts).
import type { Config } from '../config/schema.js';
import type { Conditions } from '../conditions/snapshot.js';
import type { JobBase, Preferences, Reason } from '../model/job.js';
import type { CostContext } from './cost-rules.js';

export type PolicyConfig = Config['policy'];

/** Progress of a running attempt. `bytes` are cumulative counts (any origin), samples oldest first. */
export interface RunStats {
  startedAtMs: number;
  samples: Array<{ atMs: number; bytes: number }>;
}

type PolicyFields = Pick<
  JobBase,
  'direction' | 'totalBytes' | 'bytesTransferred' | 'preferences' | 'constraints' | 'userInitiated' | 'expedited' | 'nextAttemptAt' | 'state' | 'createdAt'
> & {
  /** Cost rules (client quota, named window); absent in callers that do not apply them. */
  owner?: string;
  window?: string | null;
};

/** What the rules read of a job: the common fields, and for device jobs the device they need. */
export type PolicyTransfer = PolicyFields & ({ kind: 'http' } | { kind: 'device-sync'; device?: { id: string } });

export interface RuleContext {
  c: Conditions;
  p: PolicyConfig;
  now: number;
  /** Given for a job that is running now (slow-transfer and execution-window checks). */
  run: RunStats | undefined;
  /** Runnable work is held by the concurrency limit. */
  othersWaiting: boolean;
  /** Set by a rule that narrows the job's preferences (a large download on cellular). */
  switchPreferences?: Preferences;
  /** The operator's cost rules for this pass (windows, quotas); absent where they do not apply. */
  cost: CostContext | undefined;
  /** Set by the cost rules: their hold ends by itself then (a window opens, a new day starts). */
  holdUntil?: number;
}

export type Rule = (t: PolicyTransfer, ctx: RuleContext, out: Reason[]) => void;
