// Fleet jobs: turns job documents from MQTT into local transfers exactly once (a row per job in the store,
// transfer ids chosen and written before they are queued), withdraws them, honours notBefore/notAfter,
// and reports each job's status (every state change at once, progress at most every 10 s).
// One message at a time: handle() calls are chained, so a job's messages apply in arrival order.
import { randomUUID } from 'node:crypto';
import { asFerryError, FerryError, httpStatusFor } from '../errors.js';
import type { Logger } from '../log.js';
import type { FleetQueue } from './fleet-queue.js';
import type { FleetStore, JobRow } from './fleet-store.js';
import { documentHash, JOB_ID, parseJobDocument, type JobDocument } from './job-document.js';
import { deriveState, jobTransfers, stateKey, statusMessage, type JobStatus } from './job-status.js';

export const PROGRESS_INTERVAL_MS = 10_000;
/** A job document larger than this is rejected unread (a real one is a few hundred bytes). */
export const MAX_DOCUMENT_BYTES = 64 * 1024;
/** A job id that cannot name a status topic (over 256 bytes) is answered under this one; JOB_ID never matches it. */
export const INVALID_JOB_TOPIC_ID = '!invalid';
const MAX_CONFLICTS = 1000;
const RETRY_TICK_MS = 5000;
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface FleetJobsDeps {
  queue: FleetQueue;
  store: FleetStore;
  log: Logger;
  /** Queues a status message for the broker (durably; the bridge's outbox). */
  report(status: JobStatus): void;
  now?: () => number;
}

export class FleetJobs {
  private readonly now: () => number;
  private readonly log: Logger;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly byTransfer = new Map<string, string>();
  private readonly progressAt = new Map<string, { at: number; bytes: number }>();
  /** Conflicting documents already answered in this run (retained redelivery would repeat them). */
  private readonly conflicts = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private off: (() => void) | null = null;

  constructor(private readonly deps: FleetJobsDeps) {
    this.now = deps.now ?? Date.now;
    this.log = deps.log.child({ component: 'fleet' });
  }

  /** Finishes what a crash interrupted, reports states that changed while the bridge was down. */
  async start(): Promise<void> {
    this.off = this.deps.queue.onTransfer((t) => {
      const row = this.rowOf(t.id);
      if (row?.phase === 'active') this.refresh(row);
    });
    // A refused write here (full state disk) must not stop the agent: what is left is done by the next
    // tick, message or start.
    await this.serial(async () => {
      for (const row of this.deps.store.jobs()) {
        for (const id of row.transfers) this.byTransfer.set(id, row.jobId);
        if (row.phase === 'enqueuing') await this.begin(row);
        else if (row.phase === 'active') this.refresh(row);
        else if (row.error?.code === 'EXPIRED') await this.dropExpired(row);
      }
    }).catch(() => undefined); // logged by serial()
    await this.tick().catch(() => undefined);
  }

  stop(): void {
    this.off?.();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** A message on a job topic; resolves once its effect is durable (then the broker gets its PUBACK). */
  handle(topic: string, jobId: string, payload: Buffer): Promise<void> {
    return this.serial(() => (payload.length === 0 ? this.withdraw(topic, jobId) : this.accept(topic, jobId, payload)));
  }

  jobs(): JobRow[] {
    return this.deps.store.jobs();
  }

  private async accept(topic: string, jobId: string, payload: Buffer): Promise<void> {
    const hash = documentHash(payload);
    const known = this.deps.store.job(jobId);
    if (known?.hash === hash) return; // retained redelivery, QoS 1 duplicate, the same job from a group
    const iso = new Date(this.now()).toISOString();
    if (!JOB_ID.test(jobId)) {
      // Answered, never stored; an id too long for a topic is answered under a fixed one, naming its start.
      const named = Buffer.byteLength(jobId) <= 256;
      const message = `a job id is [A-Za-z0-9._-]{1,64}${named ? '' : `; got ${Buffer.byteLength(jobId)} bytes starting ${JSON.stringify(jobId.slice(0, 64))}`}`;
      this.report({ job: named ? jobId : INVALID_JOB_TOPIC_ID, state: 'rejected', transfers: [], error: { code: 'INVALID_FIELD', message, field: 'job' }, updatedAt: iso });
      return;
    }
    if (payload.length > MAX_DOCUMENT_BYTES) {
      const row = this.newRow(jobId, topic, hash, '', iso);
      this.end(row, new FerryError('TOO_LARGE', `a job document is at most ${MAX_DOCUMENT_BYTES} bytes; this one has ${payload.length}`, { field: 'job' }));
      return;
    }
    if (known && known.state !== 'rejected') {
      if (this.conflicts.has(`${jobId}:${hash}`)) return;
      if (this.conflicts.size >= MAX_CONFLICTS) this.conflicts.clear(); // only spares repeated answers
      this.conflicts.add(`${jobId}:${hash}`);
      const message = `job ${jobId} is known with another document (from ${known.source}); withdraw it before reusing the id`;
      this.log.warn({ job: jobId, topic }, 'job id conflict');
      this.report({ job: jobId, state: 'rejected', transfers: [], error: { code: 'JOB_CONFLICT', message }, updatedAt: iso });
      return;
    }
    const row = this.newRow(jobId, topic, hash, payload.toString('utf8'), iso);
    let doc: JobDocument;
    try {
      doc = parseJobDocument(payload);
      row.notBefore = doc.notBefore;
      row.notAfter = doc.notAfter;
      if (doc.notAfter !== null && doc.notAfter <= this.now()) throw new FerryError('EXPIRED', 'notAfter passed before the job arrived');
      if (doc.work.kind === 'transfer') await this.deps.queue.validate(doc.work.request);
    } catch (e) {
      row.doc = ''; // a rejected document is not kept: its hash answers a redelivery
      this.end(row, e);
      return;
    }
    this.log.info({ job: jobId, topic, kind: doc.work.kind }, 'job accepted');
    if (doc.notBefore !== null && doc.notBefore > this.now()) {
      this.save(row);
      this.publishState(row);
      this.arm();
      return;
    }
    await this.begin(row);
    this.arm();
  }

  /** Queues the job's work under ids written first, so a crash in between never queues it twice. */
  private async begin(row: JobRow): Promise<void> {
    const doc = parseJobDocument(Buffer.from(row.doc));
    row.phase = 'enqueuing';
    try {
      if (doc.work.kind === 'transfer') {
        if (row.transfers.length === 0) row.transfers = [randomUUID()];
        this.save(row);
        await this.deps.queue.enqueue(doc.work.request, row.transfers[0]!);
      } else {
        // A device sync queues the device's own jobs; repeating it after a crash is harmless (the
        // device's pulls and pushes are idempotent and an outstanding one is not queued twice).
        this.save(row);
        row.transfers = (await this.deps.queue.syncDevice(doc.work.deviceId)).transfers;
      }
    } catch (e) {
      row.transfers = [];
      this.end(row, e);
      return;
    }
    row.phase = 'active';
    this.save(row);
    this.refresh(row);
  }

  private async withdraw(topic: string, jobId: string): Promise<void> {
    const row = this.deps.store.job(jobId);
    if (!row) return;
    if (row.source !== topic) {
      this.log.info({ job: jobId, topic, source: row.source }, 'withdrawal from another topic than the job came from; ignored');
      return;
    }
    // Done first: the cancel and removal events of its own transfers must not be reported as a failure.
    row.phase = 'done';
    this.save(row);
    for (const id of row.transfers) await this.deps.queue.cancelAndRemove(id);
    for (const id of row.transfers) this.byTransfer.delete(id);
    this.deps.store.removeJob(jobId);
    this.progressAt.delete(jobId);
    this.log.info({ job: jobId }, 'job withdrawn');
    this.report({ job: jobId, state: 'withdrawn', transfers: [], updatedAt: new Date(this.now()).toISOString() });
  }

  /** notBefore reached: queue; notAfter passed unfinished: cancel, remove, `failed` EXPIRED. */
  private tick(): Promise<void> {
    return this.serial(async () => {
      const now = this.now();
      let ok = false;
      try {
        for (const row of this.deps.store.jobs()) {
          if (row.phase === 'done') continue;
          if (row.notAfter !== null && row.notAfter <= now) {
            this.end(row, new FerryError('EXPIRED', `not finished by notAfter ${new Date(row.notAfter).toISOString()}`));
            await this.dropExpired(row);
          } else if (row.phase === 'scheduled' && (row.notBefore ?? 0) <= now) {
            await this.begin(row);
          }
        }
        ok = true;
      } finally {
        // A refused write above must not leave the next notBefore/notAfter without a timer, nor spin on it.
        this.arm(ok ? 0 : RETRY_TICK_MS);
      }
    });
  }

  private newRow(jobId: string, topic: string, hash: string, doc: string, iso: string): JobRow {
    return { jobId, source: topic, hash, doc, phase: 'scheduled', state: 'queued', transfers: [], error: null, notBefore: null, notAfter: null, createdAt: iso, updatedAt: iso };
  }

  /** An expired job is recorded as ended before its transfers go, so a crash in between finishes the job. */
  private async dropExpired(row: JobRow): Promise<void> {
    if (row.transfers.length === 0) return;
    for (const id of row.transfers) await this.deps.queue.cancelAndRemove(id);
    for (const id of row.transfers) this.byTransfer.delete(id);
    row.transfers = [];
    this.save(row); // end() has reported it already
  }

  private arm(minDelayMs = 0): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    let next = Infinity;
    for (const r of this.deps.store.jobs()) {
      if (r.phase === 'done') continue;
      if (r.phase === 'scheduled' && r.notBefore !== null) next = Math.min(next, r.notBefore);
      if (r.notAfter !== null) next = Math.min(next, r.notAfter);
    }
    if (next === Infinity) return;
    this.timer = setTimeout(() => void this.tick().catch(() => undefined), Math.min(Math.max(minDelayMs, next - this.now()), MAX_TIMER_MS));
    this.timer.unref();
  }

  /** Re-derives an active job's state from its transfers and reports what changed. */
  private refresh(row: JobRow): void {
    const ts = jobTransfers(row, (id) => this.deps.queue.get(id));
    const d = deriveState(ts);
    if (d.state !== row.state || (d.error?.code ?? null) !== (row.error?.code ?? null)) {
      row.state = d.state;
      row.error = d.error ?? null;
      if (d.state === 'completed' || d.state === 'failed') row.phase = 'done';
      this.save(row);
      this.log.info({ job: row.jobId, state: row.state }, 'job state');
    }
    const status = statusMessage(row, ts, new Date(this.now()).toISOString());
    const key = stateKey(status);
    const bytes = ts.reduce((n, t) => n + t.bytesTransferred, 0);
    const last = this.progressAt.get(row.jobId);
    const stateChanged = key !== row.reported;
    if (!stateChanged && (!last || bytes === last.bytes || this.now() - last.at < PROGRESS_INTERVAL_MS)) return;
    this.progressAt.set(row.jobId, { at: this.now(), bytes });
    if (stateChanged) {
      row.reported = key;
      this.save(row);
    }
    this.report(status);
  }

  private publishState(row: JobRow): void {
    const status = statusMessage(row, [], new Date(this.now()).toISOString());
    row.reported = stateKey(status);
    this.save(row);
    this.report(status);
  }

  /** A job that ends before or instead of running: rejected (its document is wrong) or failed. */
  private end(row: JobRow, e: unknown): void {
    const err = asFerryError(e);
    const status = httpStatusFor(err.code);
    row.phase = 'done';
    row.state = status === 400 || status === 403 || status === 404 ? 'rejected' : 'failed';
    row.error = err.toJSON();
    this.log.info({ job: row.jobId, state: row.state, code: err.code }, 'job ended');
    this.publishState(row);
  }

  private save(row: JobRow): void {
    row.updatedAt = new Date(this.now()).toISOString();
    for (const id of row.transfers) this.byTransfer.set(id, row.jobId);
    this.deps.store.putJob(row);
  }

  private rowOf(transferId: string): JobRow | undefined {
    const job = this.byTransfer.get(transferId);
    return job === undefined ? undefined : this.deps.store.job(job);
  }

  private report(status: JobStatus): void {
    this.deps.report(status);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn);
    this.chain = p.catch((e: unknown) => this.log.error({ err: (e as Error).message }, 'fleet job handling failed'));
    return p;
  }
}
