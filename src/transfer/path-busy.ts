// At most one unfinished transfer writes a given path: a second download (or device pull) to the
// same target answers 409 PATH_BUSY at enqueue. Part files are per transfer id anyway, so this rule
// is about meaning (which of two versions would win the rename), not about torn bytes.
import { FerryError } from '../errors.js';
import { isFinal, type Job } from '../model/job.js';

/** Throws PATH_BUSY when another unfinished download targets `t.path`. Call right before inserting. */
export function assertPathFree(all: Iterable<Job>, t: Pick<Job, 'id' | 'path' | 'direction'>): void {
  if (t.direction !== 'download') return;
  for (const o of all) {
    if (o.id !== t.id && o.direction === 'download' && o.path === t.path && !isFinal(o.state)) {
      throw new FerryError('PATH_BUSY', `another unfinished transfer writes ${JSON.stringify(t.path)}; cancel or remove it first`, { field: 'path' });
    }
  }
}
