// The one way in and the one writer of jobs: every source (socket API, device triggers, chained uploads,
// the fleet bridge) enqueues here, and the scheduler records every change here. A change makes a new
// record (the one handed out before is never changed), is committed to the store when it must survive a restart, and only then is announced,
// with the job's `seq` bumped, to listeners in the order the changes were made (never nested).
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Job } from '../model/job.js';
import type { Principal } from '../model/principal.js';
import { nextState, type JobEventName } from '../model/transitions.js';
import type { TransferStore } from './store.js';
import { buildTransfer } from './transfer-request.js';
import { changedRecord } from './job-record.js';
import { isStorageFailure } from './sqlite-errors.js';
import type { FerryError } from '../errors.js';
import { assertPathFree } from '../transfer/path-busy.js';

export type QueueEvent = { type: 'added' | 'changed' | 'removed'; job: Job };
export type QueueListener = (e: QueueEvent) => void;

export interface JobQueueDeps {
  store: TransferStore;
  config: () => Config;
  log: Logger;
  now?: () => number;
}

export class JobQueue {
  private readonly listeners = new Set<QueueListener>();
  private readonly pending: QueueEvent[] = [];
  private delivering = false;
  private batching = false;
  private isoMs = NaN;
  private isoText = '';
  private readonly now: () => number;
  private readonly log: Logger;

  constructor(private readonly deps: JobQueueDeps) {
    this.now = deps.now ?? Date.now;
    this.log = deps.log.child({ component: 'queue' });
    this.recoverInterrupted();
  }

  all(): readonly Readonly<Job>[] {
    return this.deps.store.all();
  }

  get(id: string): Readonly<Job> | undefined {
    return this.deps.store.get(id);
  }

  get size(): number {
    return this.deps.store.size;
  }

  countByState(): Record<string, number> {
    return this.deps.store.countByState();
  }

  /** The storage error that kept this job's latest change from the disk, or null when it is saved. */
  unsavedProblem(id: string): FerryError | null {
    const p = this.deps.store.writeProblem();
    return p !== null && this.deps.store.isUnsaved(id) ? p : null;
  }

  /** Listens to every committed change; returns the unsubscribe function. */
  subscribe(listener: QueueListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** POST /v1/transfers and every other source of HTTP transfers: validated as the API validates. */
  async enqueueTransfer(by: Principal, request: unknown): Promise<Job> {
    const job = await buildTransfer(request, by, this.deps.config(), new Date(this.now()));
    // No await between this check and the insert: two racing requests cannot both pass.
    assertPathFree(this.deps.store.all(), job);
    return this.add(job);
  }

  /** Adds a job built by its source (device sync builds its own), within the quotas. */
  add(job: Job): Job {
    const cfg = this.deps.config().transfers;
    const added = { ...job };
    this.deps.store.insert(added, { perClient: cfg.perClientLimit, total: cfg.totalLimit });
    this.announce({ type: 'added', job: added });
    return this.get(job.id) ?? added;
  }

  /**
   * Records a change of one job. `event` moves its state (checked against the transition table);
   * `durable` changes are committed to the store first (what a restart could not re-derive).
   * Returns the new record, or undefined when the job is gone.
   */
  update(id: string, change: Partial<Job>, opts: { event?: JobEventName; durable: boolean }): Job | undefined {
    const old = this.deps.store.get(id);
    if (!old) return undefined;
    const state = opts.event ? nextState(old.state, opts.event) : old.state;
    // Not frozen (V8 copies frozen objects on a slow path); the queue hands records out as Readonly and
    // never changes one it handed out.
    const next = changedRecord(old, change, { state, seq: old.seq + 1, updatedAt: this.iso() });
    if (state !== old.state) this.log.info({ id, from: old.state, state, reasons: next.reasons.map((r) => r.code) }, 'state');
    if (opts.durable) this.save(next);
    else this.deps.store.keep(next);
    this.announce({ type: 'changed', job: next });
    return next;
  }

  /** Records many changes in one store transaction (a decision pass). */
  updateMany(changes: Array<{ id: string; change: Partial<Job>; event?: JobEventName; durable: boolean }>): void {
    if (changes.length === 0) return;
    // Announced after the whole transaction is committed.
    this.batching = true;
    try {
      this.deps.store.transaction(() => {
        for (const c of changes) this.update(c.id, c.change, c);
      });
    } catch (e) {
      // A commit the disk refused: the changes stay in memory (unsaved, retried by the store) and are announced.
      if (!isStorageFailure(e)) {
        this.pending.length = 0;
        throw e;
      }
    } finally {
      this.batching = false;
    }
    this.drain();
  }

  /** Removes a job's record (the scheduler cancels a running one first). */
  remove(id: string): Job | undefined {
    const old = this.deps.store.get(id);
    if (!old) return undefined;
    this.deps.store.remove(id);
    this.announce({ type: 'removed', job: old });
    return old;
  }

  /** A durable change the disk refuses is kept in memory and retried by the store; work then waits
   * with state-storage-full (system/storage-guard.ts). Never thrown into an attempt or a decision pass. */
  private save(next: Job): void {
    try {
      this.deps.store.put(next);
    } catch (e) {
      if (!isStorageFailure(e)) throw e;
    }
  }

  /** The time as ISO text, made once per millisecond (a decision pass changes thousands of jobs in one). */
  private iso(): string {
    const ms = this.now();
    if (ms !== this.isoMs) {
      this.isoMs = ms;
      this.isoText = new Date(ms).toISOString();
    }
    return this.isoText;
  }

  /** Jobs that were running when the agent stopped are decided again. */
  private recoverInterrupted(): void {
    const running = this.all().filter((t) => t.state === 'running');
    if (running.length === 0) return;
    this.updateMany(running.map((t) => ({ id: t.id, change: {}, event: 'requeue' as const, durable: true })));
    this.log.info({ count: running.length }, 'recovered interrupted transfers');
  }

  /** Delivers events one at a time, in order: a listener's own changes are queued behind the current event. */
  private announce(e: QueueEvent): void {
    this.pending.push(e);
    if (!this.batching) this.drain();
  }

  private drain(): void {
    if (this.delivering) return;
    this.delivering = true;
    try {
      // An index, not shift(): a decision pass over 10 000 jobs queues 10 000 events at once.
      for (let i = 0; i < this.pending.length; i++) {
        const ev = this.pending[i]!;
        for (const l of this.listeners) {
          try {
            l(ev);
          } catch (err) {
            // One listener's bug must not stop the others or the writer.
            this.log.error({ err: (err as Error)?.message ?? String(err), id: ev.job.id, event: ev.type }, 'queue listener failed');
          }
        }
      }
    } finally {
      this.pending.length = 0;
      this.delivering = false;
    }
  }
}
