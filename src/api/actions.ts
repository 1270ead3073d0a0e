// What each API route does, independent of HTTP: ownership checks, then the queue (the one way in) or a
// scheduler control. Routes stay thin; errors are FerryErrors whose code decides the status (errors.ts).
import type { ConditionsSource } from '../conditions/snapshot.js';
import { FerryError } from '../errors.js';
import type { Job } from '../model/job.js';
import { publicTransfer } from '../model/public-transfer.js';
import type { JobQueue } from '../queue/job-queue.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { canSee, checkRequestRights, type Caller } from './identity.js';

export interface ActionDeps {
  queue: JobQueue;
  scheduler: Scheduler;
  conditions: ConditionsSource;
  version: string;
}

export type Actions = ReturnType<typeof createActions>;

export function createActions(deps: ActionDeps) {
  function own(caller: Caller, id: string): Job {
    const t = deps.queue.get(id);
    // Someone else's id answers 404 to a non-admin, so ids can't be probed.
    if (!t || !canSee(caller, t.owner)) throw new FerryError('NOT_FOUND', `no transfer ${id}`);
    return t;
  }

  return {
    health: () => ({ status: 'ok', version: deps.version }),

    conditions: () => deps.conditions.current(),

    async enqueue(caller: Caller, body: unknown) {
      checkRequestRights(caller, body);
      const t = await deps.queue.enqueueTransfer(caller, body);
      // The scheduler has decided it meanwhile: answer with what it is now.
      return publicTransfer(deps.queue.get(t.id) ?? t);
    },

    list(caller: Caller, state?: string) {
      const all = deps.queue.all().filter((t) => canSee(caller, t.owner) && (!state || t.state === state));
      return { transfers: all.map(publicTransfer) };
    },

    get: (caller: Caller, id: string) => publicTransfer(own(caller, id)),

    pause: async (caller: Caller, id: string) => publicTransfer(await deps.scheduler.pause(own(caller, id).id)),

    resume: (caller: Caller, id: string) => publicTransfer(deps.scheduler.resume(own(caller, id).id)),

    cancel: async (caller: Caller, id: string) => publicTransfer(await deps.scheduler.cancel(own(caller, id).id)),

    async remove(caller: Caller, id: string) {
      await deps.scheduler.remove(own(caller, id).id);
    },

    visible: (caller: Caller, t: Job) => canSee(caller, t.owner),
  };
}
