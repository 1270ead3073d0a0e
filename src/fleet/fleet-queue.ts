// The narrow queue the fleet bridge needs: validate and enqueue a transfer request under a chosen id for
// the owner `fleet`, look transfers up, cancel+remove them, queue a device sync, and hear about changes.
// Implemented over today's core by fleet-queue-adapter.ts; the bridge depends on nothing else of the core.

export interface FleetTransfer {
  id: string;
  state: string;
  bytesTransferred: number;
  totalBytes: number | null;
  reasons: Array<{ code: string; message: string }>;
  error: { code: string; message: string } | null;
}

export interface FleetQueue {
  /** Validates exactly as POST /v1/transfers (same FerryError codes) without queuing anything. */
  validate(request: unknown): Promise<void>;
  /**
   * Validates as POST /v1/transfers and queues for owner `fleet` under `id`, its path under
   * TRANSFERS_ROOT/fleet/. Idempotent: a transfer that already has this id is returned as it is, which
   * is what makes a job's enqueue safe to repeat after a crash.
   */
  enqueue(request: unknown, id: string): Promise<{ id: string }>;
  get(id: string): FleetTransfer | undefined;
  /** Cancels (if unfinished) and removes; an unknown id is not an error. */
  cancelAndRemove(id: string): Promise<void>;
  /** Queues a configured device's pulls and pushes for owner `fleet` (POST /v1/devices/{id}/sync). */
  syncDevice(deviceId: string): Promise<{ transfers: string[] }>;
  /** Every change of a transfer (state, progress, removal); returns the unsubscribe function. */
  onTransfer(listener: (t: FleetTransfer) => void): () => void;
}

/** The system identity fleet jobs run as: quota and rights come from the `clients` entry of this name. */
export const FLEET_OWNER = 'fleet';
