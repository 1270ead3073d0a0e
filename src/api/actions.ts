// What each API route does, independent of HTTP: ownership checks, quotas, scheduler calls.
// Routes stay thin; errors are FerryErrors whose code decides the status (errors.ts).
import type { Config } from '../config/schema.js';
import type { ConditionsSource } from '../conditions/snapshot.js';
import { FerryError } from '../errors.js';
import { publicTransfer, type TransferRecord } from '../model/transfer.js';
import type { TransferStore } from '../queue/store.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { canSee, type Caller } from './identity.js';
import { buildTransfer } from './transfer-request.js';
import { assertPathFree } from '../transfer/path-busy.js';

export interface ActionDeps {
  store: TransferStore;
  scheduler: Scheduler;
  conditions: ConditionsSource;
  config: () => Config;
  version: string;
  now?: () => number;
}

export type Actions = ReturnType<typeof createActions>;

export function createActions(deps: ActionDeps) {
  const now = deps.now ?? Date.now;

  function own(caller: Caller, id: string): TransferRecord {
    const t = deps.store.get(id);
    // Someone else's id answers 404 to a non-admin, so ids can't be probed.
    if (!t || !canSee(caller, t.owner)) throw new FerryError('NOT_FOUND', `no transfer ${id}`);
    return t;
  }

  return {
    health: () => ({ status: 'ok', version: deps.version }),

    conditions: () => deps.conditions.current(),

    async enqueue(caller: Caller, body: unknown) {
      const cfg = deps.config();
      const t = await buildTransfer(body, caller, cfg, new Date(now()));
      // No await between this check and the insert: two racing requests cannot both pass.
      assertPathFree(deps.store.all(), t);
      deps.store.insert(t, { perClient: cfg.transfers.perClientLimit, total: cfg.transfers.totalLimit });
      deps.scheduler.emit('transfer', t);
      deps.scheduler.reconcile();
      return publicTransfer(t);
    },

    list(caller: Caller, state?: string) {
      const all = deps.store.all().filter((t) => canSee(caller, t.owner) && (!state || t.state === state));
      return { transfers: all.map(publicTransfer) };
    },

    get: (caller: Caller, id: string) => publicTransfer(own(caller, id)),

    pause: async (caller: Caller, id: string) => publicTransfer(await deps.scheduler.pause(own(caller, id).id)),

    resume: (caller: Caller, id: string) => publicTransfer(deps.scheduler.resume(own(caller, id).id)),

    cancel: async (caller: Caller, id: string) => publicTransfer(await deps.scheduler.cancel(own(caller, id).id)),

    async remove(caller: Caller, id: string) {
      await deps.scheduler.remove(own(caller, id).id);
    },

    visible: (caller: Caller, t: TransferRecord) => canSee(caller, t.owner),
  };
}
