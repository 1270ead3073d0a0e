// A download held only because its size is unknown may well be small: ask the server (a HEAD costs a few
// hundred bytes) so the size caps can decide instead of the unknown-size rule. One probe at a time,
// each job at most once per run of the agent.
import type { Logger } from '../log.js';
import type { HttpJob, Job } from '../model/job.js';
import type { JobQueue } from '../queue/job-queue.js';
import type { AttemptRunner } from './runner.js';

export class SizeProbe {
  private readonly probed = new Set<string>();
  private busy = false;

  constructor(
    private readonly deps: {
      queue: JobQueue;
      runner: () => AttemptRunner<HttpJob> | undefined;
      timeoutMs: () => number;
      log: Logger;
      /** Called when a probe ended (the job may now be decided differently). */
      done: () => void;
    },
  ) {}

  forget(id: string): void {
    this.probed.delete(id);
  }

  /** Starts one probe if a job needs one and none is running. */
  next(jobs: readonly Job[]): void {
    if (this.busy) return;
    const runner = this.deps.runner();
    if (!runner?.probe) return;
    const t = jobs.find(
      (x): x is HttpJob =>
        x.kind === 'http' && x.state === 'waiting' && x.totalBytes === null && !this.probed.has(x.id) && x.reasons.some((r) => r.code === 'unknown-size'),
    );
    if (!t) return;
    this.probed.add(t.id);
    this.busy = true;
    runner
      .probe(t, AbortSignal.timeout(this.deps.timeoutMs()))
      .then(({ totalBytes }) => {
        const now = this.deps.queue.get(t.id);
        if (totalBytes === null || !now || now.totalBytes !== null) return;
        this.deps.log.info({ id: t.id, totalBytes }, 'size learnt from the server');
        this.deps.queue.update(t.id, { totalBytes }, { durable: true });
      })
      .catch((e: unknown) => this.deps.log.info({ id: t.id, err: (e as Error).message }, 'size probe failed; the download waits as unknown-size'))
      .finally(() => {
        this.busy = false;
        this.deps.done();
      });
  }
}
