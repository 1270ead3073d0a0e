// Today's FleetQueue over the core: the queue's single entry (`add` with a record built by the socket API's
// own validator, the transfers root narrowed to TRANSFERS_ROOT/fleet/), the scheduler's cancel/remove, and
// the queue's committed events. The bridge depends only on FleetQueue.
import type { Config } from '../config/schema.js';
import { FerryError } from '../errors.js';
import type { Job } from '../model/job.js';
import { FLEET } from '../model/principal.js';
import type { JobQueue } from '../queue/job-queue.js';
import { buildTransfer } from '../queue/transfer-request.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { FleetQueue, FleetTransfer } from './fleet-queue.js';

export interface FleetQueueDeps {
  queue: JobQueue;
  scheduler: Scheduler;
  config: () => Config;
  /** Device sync, when the agent has it: `syncNow(id, by)` of src/sync/device-sync.ts. */
  syncNow?: (deviceId: string) => Promise<{ transfers: Array<{ id: string }> }>;
  now?: () => number;
}

const view = (t: Job): FleetTransfer => ({
  id: t.id,
  state: t.state,
  bytesTransferred: t.bytesTransferred,
  totalBytes: t.totalBytes,
  reasons: t.reasons,
  error: t.error,
});

export function createFleetQueue(deps: FleetQueueDeps): FleetQueue {
  const now = deps.now ?? Date.now;
    const build = async (request: unknown): Promise<Job> => {
    const r = request as { userInitiated?: unknown } | null;
    // `fleet` is a reserved client name with no clients entry, hence no rights (api/identity.ts's rule).
    if (r && typeof r === 'object' && r.userInitiated === true) {
      throw new FerryError('FORBIDDEN', 'client "fleet" may not queue user-initiated transfers', { field: 'userInitiated' });
    }
    // The file rule puts the fleet's paths in its own folder, TRANSFERS_ROOT/fleet/ (queue/client-path.ts).
    return buildTransfer(request, FLEET, deps.config(), new Date(now()));
  };
  return {
    async validate(request) {
      await build(request);
    },
    async enqueue(request, id) {
      if (deps.queue.get(id)) return { id };
      deps.queue.add({ ...(await build(request)), id });
      return { id };
    },
    get(id) {
      const t = deps.queue.get(id);
      return t ? view(t) : undefined;
    },
    async cancelAndRemove(id) {
      if (deps.queue.get(id)) await deps.scheduler.remove(id);
    },
    async syncDevice(deviceId) {
      if (!deps.syncNow) throw new FerryError('DEVICE_NOT_FOUND', `no configured device ${deviceId}`, { field: 'sync' });
      const r = await deps.syncNow(deviceId);
      return { transfers: r.transfers.map((t) => t.id) };
    },
    // Changes and removals alike: a job whose transfer an admin removed must not wait forever.
    onTransfer: (listener) => deps.queue.subscribe((e) => listener(view(e.job))),
  };
}
