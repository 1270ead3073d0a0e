// Decides, starts and stops jobs. It listens to the queue and the conditions; every change triggers one
// synchronous decision pass over all unfinished jobs (policy is pure), and attempts run asynchronously
// through the runner of their kind; running jobs alone are reviewed every second (pass-clock.ts). It
// changes jobs only through the queue.
// Invariant: a job is `running` exactly while it has an entry in `active`.
import type { Config } from '../config/schema.js';
import type { Conditions, ConditionsSource } from '../conditions/snapshot.js';
import { asFerryError, FerryError } from '../errors.js';
import { redactUrl, type Logger } from '../log.js';
import type { AttemptResult } from '../model/attempt.js';
import { isFinal, type DeviceSyncResult, type Job } from '../model/job.js';
import type { CostContext } from '../policy/cost-rules.js';
import { compareForRun, decide, selectToRun, type RunStats } from '../policy/decide.js';
import { reason, sameReasons } from '../policy/reasons.js';
import type { JobQueue, QueueEvent } from '../queue/job-queue.js';
import { ProgressTracker, recordSample } from './progress.js';
import type { AttemptCallbacks, Runners, StopCause } from './runner.js';
import { decideWaiting, type Change } from './decide-waiting.js';
import { PassClock } from './pass-clock.js';
import { settle, type Settled } from './settle.js';
import { SizeProbe } from './size-probe.js';

export interface SchedulerDeps {
  queue: JobQueue;
  conditions: ConditionsSource;
  runners: Runners;
  config: () => Config;
  log: Logger;
  now?: () => number;
  /** The cost rules' view of one pass (windows, quotas); absent: no cost rules. */
  costContext?: (now: number) => CostContext;
}

interface Active {
  abort: AbortController;
  cause: StopCause | null;
  stats: RunStats;
  progress: ProgressTracker;
  done: Promise<void>;
  /** The latest progress the runner reported (the record is updated only at emit/checkpoint steps). */
  live: { bytes: number; total: number | null } | null;
}

const TICK_MS = 1000;

export class Scheduler {
  private readonly deps: SchedulerDeps;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly active = new Map<string, Active>();
  /** Jobs that gave up their turn (execution window): they queue behind the others once. */
  private readonly yielded = new Set<string>();
  private readonly probe: SizeProbe;
  private pending = false;
  private readonly clock = new PassClock(() => this.reconcile(), () => this.review(), TICK_MS);
  /** The last full pass found more jobs allowed to run than free slots (an execution window may then end a turn). */
  private contended = false;
  private stopping = false;
  private readonly unsubscribe: Array<() => void> = [];

  constructor(deps: SchedulerDeps) {
    this.deps = deps;
    this.now = deps.now ?? Date.now;
    this.log = deps.log.child({ component: 'scheduler' });
    this.probe = new SizeProbe({
      queue: deps.queue,
      runner: () => deps.runners.http,
      timeoutMs: () => deps.config().transfers.connectTimeoutS * 1000,
      log: this.log,
      done: () => this.requestReconcile(),
    });
  }

  /** Starts listening to the queue and the conditions, and decides everything once. */
  start(): void {
    this.unsubscribe.push(this.deps.queue.subscribe((e) => this.onQueue(e)));
    this.unsubscribe.push(this.deps.conditions.onChange(() => this.reconcile()));
    this.reconcile();
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

  /** One decision pass; returns how many jobs it changed. A failure is logged, never thrown. */
  reconcile(): number {
    if (this.stopping) return 0;
    try {
      return this.decideAll();
    } catch (e) {
      this.log.error({ err: (e as Error)?.message ?? String(e) }, 'decision pass failed; retrying shortly');
      this.clock.passAt(this.now() + TICK_MS, this.now());
      return 0;
    }
  }

  /** Every second while jobs run: only they are decided again, with their live rate and bytes. */
  private review(): void {
    if (this.stopping) return;
    try {
      const now = this.now();
      const changes: Change[] = [];
      this.reviewActive(this.deps.config(), this.deps.conditions.current(), now, this.deps.costContext?.(now), changes);
      this.deps.queue.updateMany(changes);
    } catch (e) {
      this.log.error({ err: (e as Error)?.message ?? String(e) }, 'review of running jobs failed; deciding everything again');
      this.requestReconcile();
    }
  }

  /** Resolves once the job is paused (a running attempt has checkpointed and stopped). */
  async pause(id: string): Promise<Job> {
    const t = this.mustGet(id);
    if (t.state === 'paused') return t;
    if (isFinal(t.state)) throw wrongState(t, 'pause');
    const now = await this.stopFor(id, 'client-pause');
    if (now.state !== 'paused') this.deps.queue.update(id, { reasons: [] }, { event: 'pause', durable: true });
    return this.saved(id);
  }

  // Stops a running attempt for a client and waits for its end. One that ended by itself meanwhile
  // (completed, failed) wins: the client hears 409 with that state, never a 200 for what did not happen.
  private async stopFor(id: string, by: 'client-pause' | 'client-cancel'): Promise<Job> {
    const a = this.active.get(id);
    if (a) this.stop(id, { by });
    await a?.done;
    const now = this.mustGet(id);
    const want = by === 'client-pause' ? 'paused' : 'cancelled';
    if (isFinal(now.state) && now.state !== want) throw wrongState(now, by === 'client-pause' ? 'pause' : 'cancel');
    return now;
  }

  resume(id: string): Job {
    const t = this.mustGet(id);
    if (t.state !== 'paused') {
      if (t.state === 'queued' || t.state === 'waiting' || t.state === 'running') return t;
      throw wrongState(t, 'resume');
    }
    // A paused job that was mid-attempt keeps its bytes; it goes back to being decided.
    this.deps.queue.update(id, { reasons: [] }, { event: 'resume', durable: true });
    this.requestReconcile();
    return this.saved(id);
  }

  async cancel(id: string): Promise<Job> {
    const t = this.mustGet(id);
    if (t.state === 'cancelled') return t;
    if (isFinal(t.state)) throw wrongState(t, 'cancel');
    const now = await this.stopFor(id, 'client-cancel');
    if (now.state !== 'cancelled') this.deps.queue.update(id, { reasons: [], nextAttemptAt: null }, { event: 'cancel', durable: true });
    this.requestReconcile();
    return this.saved(id);
  }

  /** Its partial data went when it ended (or goes in the start-up sweep, if a kill came first). */
  async remove(id: string): Promise<void> {
    // Completed or failed while its cancel waited: removed all the same, as the client asked.
    await this.cancel(id).catch((e: unknown) => {
      if (asFerryError(e).code !== 'WRONG_STATE') throw e;
    });
    this.deps.queue.remove(id);
  }

  /** A client's change that the disk refused answers the storage error (507/503); it took effect in
   * memory and is written once the disk takes writes again. */
  private saved(id: string): Job {
    const t = this.mustGet(id);
    const problem = this.deps.queue.unsavedProblem(id);
    if (problem) throw problem;
    return t;
  }

  /** Stops every attempt (their progress is checkpointed) and stops deciding. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    this.clock.stop();
    for (const off of this.unsubscribe) off();
    const waits: Promise<void>[] = [];
    for (const [id, a] of this.active) {
      this.stop(id, { by: 'shutdown' });
      waits.push(a.done);
    }
    await Promise.all(waits);
  }

  private onQueue(e: QueueEvent): void {
    if (e.type === 'added') {
      // Decided before the source hears back, so a new transfer is answered as running or waiting.
      this.reconcile();
    } else if (e.type === 'removed') {
      this.yielded.delete(e.job.id);
      this.probe.forget(e.job.id);
      this.stop(e.job.id, { by: 'client-cancel' });
      this.requestReconcile();
    } else if ((e.job.state === 'failed' || e.job.state === 'cancelled') && !this.active.has(e.job.id)) {
      // Failed or cancelled by any path (settled, expired, a client): it never resumes, so its partial data goes now.
      void this.discard(e.job);
    }
  }

  private decideAll(): number {
    const cfg = this.deps.config();
    const conditions = this.deps.conditions.current();
    const now = this.now();
    const cost = this.deps.costContext?.(now);
    const { changes, candidates, nextWake } = decideWaiting(this.deps.queue.all(), conditions, cfg.policy, now, cost, this.log);

    this.contended = candidates.length > Math.max(0, cfg.policy.concurrency - this.active.size);
    this.reviewActive(cfg, conditions, now, cost, changes);

    candidates.sort((a, b) => {
      const ya = this.yielded.has(a.id) ? 1 : 0;
      const yb = this.yielded.has(b.id) ? 1 : 0;
      return ya - yb || compareForRun(a, b);
    });
    const { start, limited } = selectToRun(candidates, this.active.size, cfg.policy);
    const limitedReason = reason('concurrency-limit', { limit: cfg.policy.concurrency });
    for (const id of limited) {
      const t = this.deps.queue.get(id);
      if (t && (t.state !== 'waiting' || !sameReasons(t.reasons, [limitedReason]))) {
        changes.push({ id, change: { reasons: [limitedReason] }, event: 'hold', durable: false });
      }
    }
    const starting: string[] = [];
    for (const id of start) {
      const t = this.deps.queue.get(id);
      if (!t) continue;
      this.yielded.delete(id);
      if (!this.deps.runners[t.kind]) {
        changes.push({ id, change: { reasons: [], error: { code: 'UNAVAILABLE', message: `no runner for ${t.kind} jobs in this agent` } }, event: 'fail', durable: true });
        continue;
      }
      changes.push({ id, change: { attempts: t.attempts + 1, nextAttemptAt: null, reasons: [] }, event: 'start', durable: true });
      starting.push(id);
    }
    this.deps.queue.updateMany(changes);
    for (const id of starting) {
      const t = this.deps.queue.get(id);
      if (t?.state === 'running') this.begin(t);
    }
    this.clock.passAt(Math.min(nextWake, cost?.wakeAt() ?? Infinity), now);
    this.probe.next(this.deps.queue.all());
    return changes.length;
  }

  /** Stops the running jobs the rules no longer allow (rate window, caps with their live bytes, windows). */
  private reviewActive(cfg: Config, conditions: Conditions, now: number, cost: CostContext | undefined, changes: Change[]): void {
    for (const [id, a] of this.active) {
      const t = this.deps.queue.get(id);
      if (!t || a.cause) continue;
      const d = decide(t, conditions, cfg.policy, now, a.stats, this.contended, cost);
      if (d.action === 'wait') {
        if (d.reasons.some((r) => r.code === 'window-exhausted')) this.yielded.add(id);
        if (d.switchPreferences) changes.push({ id, change: { preferences: d.switchPreferences }, durable: true });
        this.stop(id, { by: 'policy', reasons: d.reasons, until: d.until });
      } else if (d.action === 'fail') {
        this.stop(id, { by: 'policy', reasons: [d.reason], fail: d.reason });
      }
    }
  }

  private begin(t: Job): void {
    const cfg = this.deps.config();
    const abort = new AbortController();
    const startedAtMs = this.now();
    const stats: RunStats = { startedAtMs, samples: [{ atMs: startedAtMs, bytes: t.bytesTransferred }] };
    const progress = new ProgressTracker(t.bytesTransferred, cfg.transfers, this.now);
    const entry: Active = { abort, cause: null, stats, progress, done: Promise.resolve(), live: null };
    this.active.set(t.id, entry);
    this.clock.reviewing(true);
    this.log.info({ id: t.id, kind: t.kind, url: redactUrl(t.url), attempt: t.attempts }, 'attempt started');
    const mine = () => this.active.get(t.id) === entry;
    const cb: AttemptCallbacks = {
      // A settled attempt's stream can still report (bytes handed to the socket): ignored, not to overwrite its result.
      onProgress: (bytes, total) => {
        if (mine()) this.onProgress(t.id, entry, bytes, total);
      },
      onResumeState: (r) => {
        const cur = this.deps.queue.get(t.id);
        if (!mine() || !cur) return;
        const bytes = entry.live?.bytes ?? cur.bytesTransferred; // the progress rides in the same commit
        this.deps.queue.update(t.id, { resume: { ...cur.resume, ...r }, bytesTransferred: bytes }, { durable: true });
        entry.progress.persisted(bytes);
      },
      onWarning: (w) => {
        const cur = this.deps.queue.get(t.id);
        if (mine() && cur && !cur.warnings.some((x) => x.code === w.code)) {
          this.deps.queue.update(t.id, { warnings: [...cur.warnings, w] }, { durable: true });
        }
      },
    };
    entry.done = this.run(t, abort.signal, cb)
      .catch((e: unknown): AttemptResult => ({
        outcome: 'retry',
        error: e instanceof FerryError ? e : new FerryError('INTERNAL', String((e as Error)?.message ?? e), { cause: e }),
        retryAfterMs: null,
        bytesTransferred: this.deps.queue.get(t.id)?.bytesTransferred ?? t.bytesTransferred,
      }))
      .then((r) => this.settle(t.id, entry, r))
      .catch((e: unknown) => this.log.error({ id: t.id, err: (e as Error)?.message ?? String(e) }, 'could not record the end of an attempt'));
  }

  private run(t: Job, signal: AbortSignal, cb: AttemptCallbacks): Promise<AttemptResult<DeviceSyncResult | undefined>> {
    if (t.kind === 'http') return this.deps.runners.http!.runAttempt(t, signal, cb);
    return this.deps.runners['device-sync']!.runAttempt(t, signal, cb);
  }

  private onProgress(id: string, a: Active, bytes: number, total: number | null): void {
    const cur = this.deps.queue.get(id);
    if (!cur) return;
    const grew = total !== null && total !== cur.totalBytes;
    a.live = { bytes, total: total ?? a.live?.total ?? null };
    recordSample(a.stats, this.now(), bytes, (this.deps.config().policy.slowTransfer.windowS + 5) * 1000);
    const step = a.progress.observe(bytes);
    if (step.persist || step.emit || grew) {
      this.deps.queue.update(id, { bytesTransferred: bytes, ...(total !== null ? { totalBytes: total } : {}) }, { durable: step.persist });
    }
    if (grew) this.requestReconcile(); // a size learnt late may break a cap
  }

  private settle(id: string, a: Active, r: AttemptResult<DeviceSyncResult | undefined>): void {
    this.active.delete(id);
    this.clock.reviewing(this.active.size > 0);
    const cur = this.deps.queue.get(id);
    if (!cur) return; // removed meanwhile
    // What the runner last reported counts for outcomes that carry no byte count (a failed check).
    const live = a.live ? { ...cur, bytesTransferred: a.live.bytes, totalBytes: a.live.total ?? cur.totalBytes } : cur;
    let s: Settled;
    try {
      s = settle(live, r, a.cause, this.now());
    } catch (e) {
      // One record with values out of range (an old agent's, a hand-edited database's) fails alone.
      const err = asFerryError(e);
      this.log.warn({ id, code: err.code, err: err.message }, 'job failed while settling');
      s = { event: 'fail', change: { reasons: [], nextAttemptAt: null, error: err.toJSON() } };
    }
    const done = this.deps.queue.update(id, s.change, { event: s.event, durable: true });
    this.log.info(
      { id, state: done?.state, outcome: r.outcome, bytes: done?.bytesTransferred, ...(r.outcome === 'failed' || r.outcome === 'retry' ? { error: r.error.code } : {}) },
      'attempt ended',
    );
    this.requestReconcile();
  }

  private stop(id: string, cause: StopCause): void {
    const a = this.active.get(id);
    if (!a || a.cause) return;
    a.cause = cause;
    this.log.info({ id, by: cause.by, ...(cause.by === 'policy' ? { reasons: cause.reasons.map((r) => r.code) } : {}) }, 'stopping attempt');
    a.abort.abort(new FerryError('UNAVAILABLE', `stopped: ${cause.by}`));
  }

  private async discard(t: Job): Promise<void> {
    try {
      if (t.kind === 'http') await this.deps.runners.http?.discard?.(t);
      else await this.deps.runners['device-sync']?.discard?.(t);
    } catch (e) {
      this.log.warn({ id: t.id, err: (e as Error).message }, 'could not remove partial data');
    }
  }

  private mustGet(id: string): Job {
    const t = this.deps.queue.get(id);
    if (!t) throw new FerryError('NOT_FOUND', `no transfer ${id}`);
    return t;
  }
}

function wrongState(t: Job, action: string): FerryError {
  return new FerryError('WRONG_STATE', `cannot ${action} a ${t.state} transfer`);
}

