// One attempt's stop switch: the caller's signal (pause/cancel/shutdown/policy) and the no-progress
// watchdog both abort the same internal signal; `stopReason` tells afterwards which of them fired.
import { FerryError } from '../errors.js';

export type StopReason = 'external' | 'no-progress' | null;

export interface AttemptControl {
  /** Pass to every request and stream of the attempt. */
  readonly signal: AbortSignal;
  /** A byte moved: re-arm the no-progress timer (also after pauseWatchdog). Cheap, call per chunk. */
  touch(): void;
  /** Local work (fsync, hashing) is not network progress: stop the watchdog while it runs. */
  pauseWatchdog(): void;
  stopReason(): StopReason;
  dispose(): void;
}

export function createAttemptControl(external: AbortSignal, noProgressMs: number): AttemptControl {
  const inner = new AbortController();
  let reason: StopReason = null;
  const onExternal = (): void => {
    if (reason === null) reason = 'external';
    inner.abort(external.reason ?? new Error('aborted'));
  };
  const fire = (): void => {
    if (reason !== null) return;
    reason = 'no-progress';
    inner.abort(new FerryError('NO_PROGRESS', `no byte moved for ${noProgressMs / 1000} s`));
  };
  const arm = (): NodeJS.Timeout => setTimeout(fire, noProgressMs).unref();
  let timer: NodeJS.Timeout | null = arm();
  if (external.aborted) onExternal();
  else external.addEventListener('abort', onExternal, { once: true });
  return {
    signal: inner.signal,
    touch: () => {
      if (timer) timer.refresh();
      else if (reason === null) timer = arm();
    },
    pauseWatchdog: () => {
      if (timer) clearTimeout(timer);
      timer = null;
    },
    stopReason: () => reason,
    dispose: () => {
      if (timer) clearTimeout(timer);
      timer = null;
      external.removeEventListener('abort', onExternal);
    },
  };
}
