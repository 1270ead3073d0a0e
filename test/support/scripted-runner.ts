// An attempt runner whose attempts the test finishes by hand; an aborted attempt ends as 'aborted'.
import type { TransferRecord } from '../../src/model/transfer.js';
import type { AttemptCallbacks, AttemptResult, AttemptRunner } from '../../src/scheduler/runner.js';

export class ScriptedRunner implements AttemptRunner {
  calls: Array<{ id: string; signal: AbortSignal; cb: AttemptCallbacks; finish(r: AttemptResult): void }> = [];
  runAttempt(t: TransferRecord, signal: AbortSignal, cb: AttemptCallbacks): Promise<AttemptResult> {
    return new Promise((resolve) => {
      this.calls.push({ id: t.id, signal, cb, finish: resolve });
      signal.addEventListener('abort', () => resolve({ outcome: 'aborted', bytesTransferred: t.bytesTransferred }));
    });
  }
  live(): string[] {
    return this.calls.filter((c) => !c.signal.aborted).map((c) => c.id);
  }
}
