// Which runnable transfers start first, and how many may start: the concurrency rule of POLICY.md §3.
// Pure ordering; transfers held back here get the `concurrency-limit` reason from the scheduler.
import type { Config } from '../config/schema.js';
import type { Job } from '../model/job.js';

export type RunOrderFields = Pick<Job, 'expedited' | 'userInitiated' | 'createdAt'>;

/**
 * Expedited first (Android: run ahead of ordinary work), then user-initiated (someone watches it),
 * then oldest first. `createdAt` is compared as a string: the agent writes it with toISOString(),
 * whose fixed width and UTC zone make string order time order.
 */
export function compareForRun(a: RunOrderFields, b: RunOrderFields): number {
  if (a.expedited !== b.expedited) return a.expedited ? -1 : 1;
  if (a.userInitiated !== b.userInitiated) return a.userInitiated ? -1 : 1;
  return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0;
}

/**
 * Splits candidates (each already decided 'run', sorted best first) into those that start now and
 * those held by the agent-wide limit. Running transfers are never stopped here: user-initiated work
 * gets the next free slot, and background work yields through the execution window.
 */
export function selectToRun<T extends { id: string }>(
  candidates: readonly T[],
  runningCount: number,
  p: Pick<Config['policy'], 'concurrency'>,
): { start: string[]; limited: string[] } {
  const free = Math.max(0, p.concurrency - runningCount);
  const start: string[] = [];
  const limited: string[] = [];
  for (let i = 0; i < candidates.length; i++) {
    const id = candidates[i]!.id;
    if (i < free) start.push(id);
    else limited.push(id);
  }
  return { start, limited };
}
