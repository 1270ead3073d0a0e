// An attempt runner whose attempts the test finishes by hand; an aborted attempt ends as 'aborted'.
import type { Job } from '../../src/model/job.js';
import type { AttemptCallbacks, AttemptResult, AttemptRunner } from '../../src/scheduler/runner.js';

export class ScriptedRunner implements AttemptRunner<Job> {
  calls: Array<{ id: string; signal: AbortSignal; cb: AttemptCallbacks; finish(r: AttemptResult): void }> = [];
  /** Ids whose partial data the scheduler told the runner to drop, in order. */
  discarded: string[] = [];
  async discard(t: Job): Promise<void> {
    this.discarded.push(t.id);
  }
  runAttempt(t: Job, signal: AbortSignal, cb: AttemptCallbacks): Promise<AttemptResult> {
    return new Promise((resolve) => {
      // Like a real runner, an aborted attempt reports the bytes it moved (the last progress it gave).
      let bytes = t.bytesTransferred;
      const tracked: AttemptCallbacks = { ...cb, onProgress: (b, total) => ((bytes = b), cb.onProgress(b, total)) };
      this.calls.push({ id: t.id, signal, cb: tracked, finish: resolve });
      signal.addEventListener('abort', () => resolve({ outcome: 'aborted', bytesTransferred: bytes }));
    });
  }
  live(): string[] {
    return this.calls.filter((c) => !c.signal.aborted).map((c) => c.id);
  }
}
