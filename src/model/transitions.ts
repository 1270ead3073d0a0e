// The one table of a job's lifecycle: which event moves a job from which states to which state.
// The queue refuses any change of state that is not in this table (a bug, reported as INTERNAL).
import { FerryError } from '../errors.js';
import type { JobState } from './job.js';

export type JobEventName =
  | 'hold' // the policy holds it (reasons, backoff, concurrency)
  | 'start' // an attempt starts
  | 'complete'
  | 'reschedule' // a periodic job completed: queued again for its next period
  | 'retry' // an attempt failed and retries remain: waits for its backoff
  | 'fail'
  | 'pause'
  | 'resume'
  | 'cancel'
  | 'requeue' // the agent stopped (shutdown, crash recovery): decided again
  | 'policy-stop'; // a running attempt is no longer allowed: waits with reasons

const OPEN: readonly JobState[] = ['queued', 'waiting', 'running', 'paused'];

export const TRANSITIONS: Readonly<Record<JobEventName, { from: readonly JobState[]; to: JobState }>> = {
  hold: { from: ['queued', 'waiting'], to: 'waiting' },
  start: { from: ['queued', 'waiting'], to: 'running' },
  complete: { from: ['running'], to: 'completed' },
  reschedule: { from: ['running'], to: 'queued' },
  retry: { from: ['running'], to: 'waiting' },
  fail: { from: OPEN, to: 'failed' },
  pause: { from: ['queued', 'waiting', 'running'], to: 'paused' },
  resume: { from: ['paused'], to: 'queued' },
  cancel: { from: OPEN, to: 'cancelled' },
  requeue: { from: ['running'], to: 'queued' },
  'policy-stop': { from: ['running'], to: 'waiting' },
};

/** The state `event` leads to from `from`; throws INTERNAL when the table does not allow it. */
export function nextState(from: JobState, event: JobEventName): JobState {
  const t = TRANSITIONS[event];
  if (!t.from.includes(from)) throw new FerryError('INTERNAL', `a ${from} job cannot take the "${event}" transition`);
  return t.to;
}
