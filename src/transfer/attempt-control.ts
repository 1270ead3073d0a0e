// One attempt's stop switch: the caller's signal (pause/cancel/shutdown/policy) and the no-progress
// watchdog both abort the same internal signal; `stopReason` tells afterwards which of them fired.
import { FerryError } from '../errors.js';

export type StopReason = 'external' | 'no-progress' | null;

export interface AttemptControl {
  /** Pass to every request and stream of the attempt. */
  readonly signal: AbortSignal;
  /** A byte moved. Called per chunk (thousands per second on a LAN), so it only sets a flag. */
  touch(): void;
  /** Local work (fsync, hashing) is not network progress: stop the watchdog; touch() re-arms it. */
  pauseWatchdog(): void;
  stopReason(): StopReason;
  dispose(): void;
}

// The watchdog looks every quarter timeout: it fires between 1 and 1.25 timeouts after the last byte.
const CHECKS_PER_TIMEOUT = 4;

export function createAttemptControl(external: AbortSignal, noProgressMs: number): AttemptControl {
  const inner = new AbortController();
  let reason: StopReason = null;
  let moved = false;
  let quietChecks = 0;
  const onExternal = (): void => {
    if (reason === null) reason = 'external';
    inner.abort(external.reason ?? new Error('aborted'));
  };
  const check = (): void => {
    if (moved) {
      moved = false;
      quietChecks = 0;
      return;
    }
    if (++quietChecks < CHECKS_PER_TIMEOUT || reason !== null) return;
    stop();
    reason = 'no-progress';
    inner.abort(new FerryError('NO_PROGRESS', `no byte moved for ${noProgressMs / 1000} s`));
  };
  let timer: NodeJS.Timeout | null = null;
  const arm = (): void => {
    quietChecks = 0;
    moved = false;
    timer = setInterval(check, noProgressMs / CHECKS_PER_TIMEOUT);
    timer.unref();
  };
  const stop = (): void => {
    if (timer) clearInterval(timer);
    timer = null;
  };
  arm();
  if (external.aborted) onExternal();
  else external.addEventListener('abort', onExternal, { once: true });
  return {
    signal: inner.signal,
    touch: () => {
      moved = true;
      if (timer === null && reason === null) arm();
    },
    pauseWatchdog: stop,
    stopReason: () => reason,
    dispose: () => {
      stop();
      external.removeEventListener('abort', onExternal);
    },
  };
}
