// Decides, starts and stops jobs. Every change of conditions, queue or time triggers one synchronous
// decision pass over all unfinished jobs (policy is pure); attempts run asynchronously through a runner.
// Invariant: a job is `running` exactly while it has an entry in `active`.
import { EventEmitter } from 'node:events';
import type { Config } from '../config/schema.js';
import type { ConditionsSource } from '../conditions/snapshot.js';
import { FerryError } from '../errors.js';
import type { Logger } from '../log.js';
import { redactUrl } from '../log.js';
import type { Kind, Reason, TransferRecord } from '../model/transfer.js';
import { isFinal } from '../model/transfer.js';
import { compareForRun, decide, selectToRun, type RunStats } from '../policy/decide.js';
import { reason } from '../policy/reasons.js';
import type { TransferStore } from '../queue/store.js';
import { retryDelayMs } from './backoff.js';
import { ProgressTracker } from './progress.js';
import type { AttemptResult, AttemptRunner, StopCause } from './runner.js';

export interface SchedulerDeps {
  store: TransferStore;
  conditions: ConditionsSource;
  runners: Partial<Record<Kind, AttemptRunner>>;
  config: () => Config;
  log: Logger;
  now?: () => number;
}

interface Active {
  abort: AbortController;
  cause: StopCause | null;
  stats: RunStats;
  progress: ProgressTracker;
  done: Promise<void>;
}

const TICK_MS = 1000;

export class Scheduler extends EventEmitter {
  private readonly deps: SchedulerDeps;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly active = new Map<string, Active>();
  /** Jobs that gave up their turn (execution window): they queue behind the others once. */
  private readonly yielded = new Set<string>();
  /** Jobs whose size was asked for in this run of the agent (one HEAD each, at most one at a time). */
  private readonly probed = new Set<string>();
  private probing = false;
  private pending = false;
  private timer: NodeJS.Timeout | null = null;
  private stopping = false;
  private unsubscribe: (() => void) | null = null;

  constructor(deps: SchedulerDeps) {
    super();
    this.deps = deps;
    this.now = deps.now ?? Date.now;
    this.log = deps.log.child({ component: 'scheduler' });
  }

  /** Recovers jobs that were running when the agent stopped, then starts deciding. */
  start(): void {
    const recovered: TransferRecord[] = [];
    for (const t of this.deps.store.all()) {
      if (t.state === 'running') {
        t.state = 'queued';
        t.updatedAt = this.iso();
        recovered.push(t);
      }
    }
    this.saveOrDefer(() => this.deps.store.putMany(recovered));
    if (recovered.length) this.log.info({ count: recovered.length }, 'recovered interrupted transfers');
    this.unsubscribe = this.deps.conditions.onChange(() => this.reconcile());
    this.reconcile();
  }

  get runningCount(): number {
    return this.active.size;
  }

  /** Coalesces many triggers into one pass on the next turn of the event loop. */
  requestReconcile(): void {
    if (this.pending || this.stopping) return;
    this.pending = true;
    setImmediate(() => {
      this.pending = false;
      this.reconcile();
    });
  }

  /** One decision pass; returns how many jobs changed state or reasons. */
  reconcile(): number {
    if (this.stopping) return 0;
    const cfg = this.deps.config();
    const conditions = this.deps.conditions.current();
    const now = this.now();
    const changed: TransferRecord[] = [];
    // Only what a restart could not re-derive is written: starts, failures, preference switches.
    // Waiting reasons live in memory (start() re-decides everything), which spares the SD card a write
    // per queued transfer on every metered or roaming flap.
    const durable: TransferRecord[] = [];
    const candidates: TransferRecord[] = [];
    let nextWake = Infinity;

    for (const t of this.deps.store.all()) {
      if (t.state === 'running' || t.state === 'paused' || isFinal(t.state)) continue;
      const d = decide(t, conditions, cfg.policy, now);
      if (d.action === 'run') {
        candidates.push(t);
      } else if (d.action === 'wait') {
        let touched = this.setWaiting(t, d.reasons);
        if (d.switchPreferences && d.switchPreferences !== t.preferences) {
          this.log.info({ id: t.id, from: t.preferences, to: d.switchPreferences }, 'preferences switched by policy');
          t.preferences = d.switchPreferences;
          touched = true;
          durable.push(t);
        }
        if (touched) changed.push(t);
        if (t.nextAttemptAt) nextWake = Math.min(nextWake, Date.parse(t.nextAttemptAt));
      } else {
        this.finish(t, 'failed', { code: d.reason.code, message: d.reason.message });
        changed.push(t);
        durable.push(t);
      }
    }

    const free = cfg.policy.concurrency - this.active.size;
    for (const [id, a] of this.active) {
      const t = this.deps.store.get(id);
      if (!t || a.cause) continue;
      const d = decide(t, conditions, cfg.policy, now, a.stats, candidates.length > Math.max(0, free));
      if (d.action === 'wait') {
        if (d.reasons.some((r) => r.code === 'window-exhausted')) this.yielded.add(id);
        if (d.switchPreferences) t.preferences = d.switchPreferences;
        this.stop(id, { by: 'policy', reasons: d.reasons });
      } else if (d.action === 'fail') {
        this.stop(id, { by: 'policy', reasons: [d.reason] });
        t.error = { code: d.reason.code, message: d.reason.message };
      }
    }

    candidates.sort((a, b) => {
      const ya = this.yielded.has(a.id) ? 1 : 0;
      const yb = this.yielded.has(b.id) ? 1 : 0;
      return ya - yb || compareForRun(a, b);
    });
    const { start, limited } = selectToRun(candidates, this.active.size, cfg.policy);
    const limitedReason = reason('concurrency-limit', { limit: cfg.policy.concurrency });
    for (const id of limited) {
      const t = this.deps.store.get(id);
      if (t && this.setWaiting(t, [limitedReason])) changed.push(t);
    }
    for (const id of start) {
      const t = this.deps.store.get(id);
      if (!t) continue;
      this.yielded.delete(id);
      this.begin(t);
      changed.push(t);
      durable.push(t);
    }
    this.saveOrDefer(() => this.deps.store.putMany(durable));
    for (const t of changed) this.emit('transfer', t);
    this.arm(nextWake, now);
    this.probeUnknownSize();
    return changed.length;
  }

  /**
   * A download held only because its size is unknown may well be small: ask the server (a HEAD costs a
   * few hundred bytes) so the size caps can decide instead of the unknown-size rule.
   */
  private probeUnknownSize(): void {
    if (this.probing) return;
    const t = this.deps.store
      .all()
      .find((x) => x.state === 'waiting' && x.totalBytes === null && !this.probed.has(x.id) && x.reasons.some((r) => r.code === 'unknown-size'));
    const runner = t && this.deps.runners[t.kind];
    if (!t || !runner?.probe) return;
    this.probed.add(t.id);
    this.probing = true;
    const abort = AbortSignal.timeout(this.deps.config().transfers.connectTimeoutS * 1000);
    runner
      .probe(t, abort)
      .then(({ totalBytes }) => {
        if (totalBytes === null || t.totalBytes !== null || this.deps.store.get(t.id) !== t) return;
        t.totalBytes = totalBytes;
        this.log.info({ id: t.id, totalBytes }, 'size learnt from the server');
        this.persist(t);
      })
      .catch((e: unknown) => this.log.info({ id: t.id, err: (e as Error).message }, 'size probe failed; the download waits as unknown-size'))
      .finally(() => {
        this.probing = false;
        this.requestReconcile();
      });
  }

  /** Resolves once the transfer is paused (a running attempt has checkpointed and stopped). */
  async pause(id: string): Promise<TransferRecord> {
    const t = this.mustGet(id);
    if (t.state === 'paused') return t;
    if (isFinal(t.state)) throw wrongState(t, 'pause');
    const a = this.active.get(id);
    if (a) {
      this.stop(id, { by: 'client-pause' });
      await a.done;
    } else {
      this.transition(t, 'paused', []);
    }
    return this.saved(t);
  }

  resume(id: string): TransferRecord {
    const t = this.mustGet(id);
    if (t.state !== 'paused') {
      if (t.state === 'queued' || t.state === 'waiting' || t.state === 'running') return t;
      throw wrongState(t, 'resume');
    }
    // A paused job that was mid-attempt keeps its bytes; it goes back to being decided.
    this.transition(t, 'queued', []);
    this.requestReconcile();
    return this.saved(t);
  }

  async cancel(id: string): Promise<TransferRecord> {
    const t = this.mustGet(id);
    if (isFinal(t.state)) {
      if (t.state === 'cancelled') return t;
      throw wrongState(t, 'cancel');
    }
    const a = this.active.get(id);
    if (a) {
      this.stop(id, { by: 'client-cancel' });
      await a.done;
    } else {
      this.finish(t, 'cancelled', null);
      this.persist(t);
      await this.discard(t);
    }
    this.requestReconcile();
    return this.saved(t);
  }

  async remove(id: string): Promise<void> {
    const t = this.mustGet(id);
    if (!isFinal(t.state)) await this.cancel(id);
    this.deps.store.remove(id);
    // The cancel's own delete is not awaited (and a kill may have cut it short): try once more, unless
    // the transfer completed or another unfinished one writes the same part file.
    if (t.state !== 'completed' && !this.deps.store.all().some((o) => o.path === t.path && !isFinal(o.state))) await this.discard(t);
    this.yielded.delete(id);
    this.probed.delete(id);
    this.emit('removed', t);
    this.requestReconcile();
  }

  /** Stops every attempt (their progress is checkpointed) and stops deciding. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.unsubscribe?.();
    const waits: Promise<void>[] = [];
    for (const [id, a] of this.active) {
      this.stop(id, { by: 'shutdown' });
      waits.push(a.done);
    }
    await Promise.all(waits);
  }

  private begin(t: TransferRecord): void {
    const runner = this.deps.runners[t.kind];
    if (!runner) {
      this.finish(t, 'failed', { code: 'UNAVAILABLE', message: `no runner for ${t.kind} jobs in this agent` });
      return;
    }
    const cfg = this.deps.config();
    t.attempts += 1;
    t.nextAttemptAt = null;
    this.transition(t, 'running', [], false);
    const abort = new AbortController();
    const startedAtMs = this.now();
    const stats: RunStats = { startedAtMs, samples: [{ atMs: startedAtMs, bytes: t.bytesTransferred }] };
    const progress = new ProgressTracker(t.bytesTransferred, cfg.transfers, this.now);
    const entry: Active = { abort, cause: null, stats, progress, done: Promise.resolve() };
    this.active.set(t.id, entry);
    this.log.info({ id: t.id, kind: t.kind, url: redactUrl(t.url), attempt: t.attempts }, 'attempt started');
    entry.done = runner
      .runAttempt(t, abort.signal, {
        // A stopped attempt's body stream can still report after the attempt settled (bytes handed to the
        // socket, not confirmed); those numbers would overwrite what the settled result said.
        onProgress: (bytes, total) => {
          if (this.active.get(t.id) === entry) this.onProgress(t, entry, bytes, total);
        },
        onResumeState: (r) => {
          t.resume = { ...t.resume, ...r };
          this.persist(t);
        },
        onWarning: (w) => {
          if (!t.warnings.some((x) => x.code === w.code)) {
            t.warnings.push(w);
            this.persist(t);
            this.emit('transfer', t);
          }
        },
      })
      .catch((e: unknown): AttemptResult => ({
        outcome: 'retry',
        error: e instanceof FerryError ? e : new FerryError('INTERNAL', String((e as Error)?.message ?? e), { cause: e }),
        retryAfterMs: null,
        bytesTransferred: t.bytesTransferred,
      }))
      .then((r) => this.settle(t, entry, r));
  }

  private onProgress(t: TransferRecord, a: Active, bytes: number, total: number | null): void {
    const grew = total !== null && total !== t.totalBytes;
    t.bytesTransferred = bytes;
    if (total !== null) t.totalBytes = total;
    const now = this.now();
    const last = a.stats.samples[a.stats.samples.length - 1];
    if (!last || now - last.atMs >= 1000) {
      a.stats.samples.push({ atMs: now, bytes });
      const keepMs = (this.deps.config().policy.slowTransfer.windowS + 5) * 1000;
      while (a.stats.samples.length > 2 && a.stats.samples[1]!.atMs < now - keepMs) a.stats.samples.shift();
    }
    const step = a.progress.observe(bytes);
    if (step.persist) this.persist(t);
    if (step.emit) this.emit('transfer', t);
    if (grew) this.requestReconcile(); // a size learnt late may break a cap
  }

  private settle(t: TransferRecord, a: Active, r: AttemptResult): void {
    this.active.delete(t.id);
    const cause = a.cause;
    const now = this.now();
    if (r.outcome === 'completed') {
      t.bytesTransferred = r.bytesTransferred;
      t.totalBytes = r.totalBytes;
      t.lastError = null;
      if (t.periodicMinutes) {
        t.nextAttemptAt = new Date(now + t.periodicMinutes * 60_000).toISOString();
        this.transition(t, 'queued', [], false);
        t.bytesTransferred = 0;
        t.resume = {};
      } else {
        this.finish(t, 'completed', null);
      }
    } else if (r.outcome === 'failed') {
      this.finish(t, 'failed', r.error.toJSON());
    } else if (r.outcome === 'retry' && !cause) {
      t.bytesTransferred = r.bytesTransferred;
      t.lastError = { code: r.error.code, message: r.error.message };
      if (t.attempts >= t.retry.maxAttempts) {
        this.finish(t, 'failed', {
          code: 'RETRIES_EXHAUSTED',
          message: `gave up after ${t.attempts} attempts; last: ${r.error.message}`,
        });
      } else {
        const delay = retryDelayMs(t.retry, t.attempts, r.retryAfterMs);
        t.nextAttemptAt = new Date(now + delay).toISOString();
        this.transition(t, 'waiting', [reason('backoff-until', { untilMs: now + delay })], false);
      }
    } else {
      // Stopped on purpose (or failed while being stopped): the cause decides the state.
      t.bytesTransferred = r.outcome === 'retry' || r.outcome === 'aborted' ? r.bytesTransferred : t.bytesTransferred;
      this.applyStop(t, cause ?? { by: 'shutdown' });
    }
    this.log.info(
      { id: t.id, state: t.state, outcome: r.outcome, bytes: t.bytesTransferred, ...(r.outcome === 'failed' || r.outcome === 'retry' ? { error: r.error.code } : {}) },
      'attempt ended',
    );
    this.persist(t);
    this.emit('transfer', t);
    if (t.state === 'cancelled') void this.discard(t);
    this.requestReconcile();
  }

  private applyStop(t: TransferRecord, cause: StopCause): void {
    switch (cause.by) {
      case 'client-pause':
        this.transition(t, 'paused', [], false);
        break;
      case 'client-cancel':
        this.finish(t, 'cancelled', null);
        break;
      case 'shutdown':
        this.transition(t, 'queued', [], false);
        break;
      case 'policy':
        if (t.error) {
          this.finish(t, 'failed', t.error);
        } else {
          if (cause.reasons.some((x) => x.code === 'slow-transfer')) {
            t.nextAttemptAt = new Date(this.now() + retryDelayMs(t.retry, t.attempts, null)).toISOString();
          }
          this.transition(t, 'waiting', cause.reasons, false);
        }
        break;
    }
  }

  private stop(id: string, cause: StopCause): void {
    const a = this.active.get(id);
    if (!a || a.cause) return;
    a.cause = cause;
    this.log.info({ id, by: cause.by, ...(cause.by === 'policy' ? { reasons: cause.reasons.map((r) => r.code) } : {}) }, 'stopping attempt');
    a.abort.abort(new FerryError('UNAVAILABLE', `stopped: ${cause.by}`));
  }

  private setWaiting(t: TransferRecord, reasons: Reason[]): boolean {
    if (t.state === 'waiting' && sameReasons(t.reasons, reasons)) return false;
    this.transition(t, 'waiting', reasons, false);
    return true;
  }

  private transition(t: TransferRecord, state: TransferRecord['state'], reasons: Reason[], save = true): void {
    const from = t.state;
    t.state = state;
    t.reasons = reasons;
    t.updatedAt = this.iso();
    if (from !== state) this.log.info({ id: t.id, from, state, reasons: reasons.map((r) => r.code) }, 'state');
    if (save) {
      this.persist(t);
      this.emit('transfer', t);
    }
  }

  private finish(t: TransferRecord, state: 'completed' | 'failed' | 'cancelled', error: TransferRecord['error']): void {
    t.error = error;
    t.nextAttemptAt = null;
    this.transition(t, state, [], false);
  }

  private persist(t: TransferRecord): void {
    if (this.deps.store.get(t.id) === undefined) return; // removed meanwhile
    this.saveOrDefer(() => this.deps.store.put(t));
  }

  /** A write the disk refuses is kept in memory and retried by the store; the agent goes on (work waits
   * with state-storage-full through the conditions). Only storage errors are absorbed here. */
  private saveOrDefer(write: () => void): void {
    try {
      write();
    } catch (e) {
      if (!(e instanceof FerryError) || (e.code !== 'STORAGE_FULL' && e.code !== 'STORAGE_ERROR')) throw e;
    }
  }

  /** Public actions answer a change that is only in memory with the storage error (507/503). */
  private saved(t: TransferRecord): TransferRecord {
    const problem = this.deps.store.writeProblem();
    if (problem && this.deps.store.isUnsaved(t.id)) throw problem;
    return t;
  }

  private async discard(t: TransferRecord): Promise<void> {
    try {
      await this.deps.runners[t.kind]?.discard?.(t);
    } catch (e) {
      this.log.warn({ id: t.id, err: (e as Error).message }, 'could not remove partial data');
    }
  }

  private arm(nextWake: number, now: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    let wait = nextWake - now;
    if (this.active.size > 0) wait = Math.min(wait, TICK_MS); // rate window, execution window
    if (!Number.isFinite(wait)) return;
    this.timer = setTimeout(() => this.reconcile(), Math.max(10, Math.min(wait, 2 ** 31 - 1)));
    this.timer.unref();
  }

  private mustGet(id: string): TransferRecord {
    const t = this.deps.store.get(id);
    if (!t) throw new FerryError('NOT_FOUND', `no transfer ${id}`);
    return t;
  }

  private iso(): string {
    return new Date(this.now()).toISOString();
  }
}

function wrongState(t: TransferRecord, action: string): FerryError {
  return new FerryError('WRONG_STATE', `cannot ${action} a ${t.state} transfer`);
}

function sameReasons(a: Reason[], b: Reason[]): boolean {
  return a.length === b.length && a.every((r, i) => r.code === b[i]!.code && r.message === b[i]!.message);
}
