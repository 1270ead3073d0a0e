// Today's FleetQueue: buildTransfer (the socket API's validator) with the transfers root narrowed to
// TRANSFERS_ROOT/fleet/, the store's quota-checked insert and the scheduler's events. The lead re-points
// this file at the queue's single entry; the bridge does not change.
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { FerryError } from '../errors.js';
import type { TransferRecord } from '../model/transfer.js';
import type { TransferStore } from '../queue/store.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { buildTransfer } from '../api/transfer-request.js';
import { FLEET_OWNER, type FleetQueue, type FleetTransfer } from './fleet-queue.js';

export interface FleetQueueDeps {
  store: TransferStore;
  scheduler: Scheduler;
  config: () => Config;
  /** Device sync, when the agent has it: `syncNow(id, owner)` of src/sync/device-sync.ts. */
  syncNow?: (deviceId: string, owner: string) => Promise<{ transfers: Array<{ id: string }> }>;
  now?: () => number;
}

const view = (t: TransferRecord): FleetTransfer => ({
  id: t.id,
  state: t.state,
  bytesTransferred: t.bytesTransferred,
  totalBytes: t.totalBytes,
  reasons: t.reasons,
  error: t.error,
});

export function createFleetQueue(deps: FleetQueueDeps): FleetQueue {
  const now = deps.now ?? Date.now;
  // Paths resolve (symlinks included) inside the fleet folder, then are stored relative to the root.
  const build = async (request: unknown): Promise<TransferRecord> => {
    const cfg = deps.config();
    const t = await buildTransfer(request, FLEET_OWNER, { ...cfg, transfersRoot: path.join(cfg.transfersRoot, FLEET_OWNER) }, new Date(now()));
    return { ...t, path: `${FLEET_OWNER}/${t.path}` };
  };
  return {
    async validate(request) {
      await build(request);
    },
    async enqueue(request, id) {
      if (deps.store.get(id)) return { id };
      const t = { ...(await build(request)), id };
      const cfg = deps.config();
      deps.store.insert(t, { perClient: cfg.transfers.perClientLimit, total: cfg.transfers.totalLimit });
      deps.scheduler.emit('transfer', t);
      deps.scheduler.reconcile();
      return { id };
    },
    get(id) {
      const t = deps.store.get(id);
      return t ? view(t) : undefined;
    },
    async cancelAndRemove(id) {
      if (deps.store.get(id)) await deps.scheduler.remove(id);
    },
    async syncDevice(deviceId) {
      if (!deps.syncNow) throw new FerryError('DEVICE_NOT_FOUND', `no configured device ${deviceId}`, { field: 'sync' });
      const r = await deps.syncNow(deviceId, FLEET_OWNER);
      return { transfers: r.transfers.map((t) => t.id) };
    },
    onTransfer(listener) {
      const on = (t: TransferRecord) => listener(view(t));
      // A removal is a change too: a job whose transfer an admin removed must not wait forever.
      deps.scheduler.on('transfer', on);
      deps.scheduler.on('removed', on);
      return () => {
        deps.scheduler.off('transfer', on);
        deps.scheduler.off('removed', on);
      };
    },
  };
}
