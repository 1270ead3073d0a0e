// Time as a dependency for the BLE and USB drivers: timeouts and reconnect backoff go through this,
// so tests can run them in fake time. Handles are opaque to callers.
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export function systemTimers(): Timers {
  return {
    setTimeout: (fn, ms) => {
      const t = setTimeout(fn, ms);
      // A pending driver timeout must never keep the agent alive on shutdown.
      t.unref?.();
      return t;
    },
    clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  };
}

/** Rejects with `onTimeout()` if `promise` has not settled within `ms`; always clears its timer. */
export async function withTimeout<T>(timers: Timers, promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let handle: unknown;
  const timeout = new Promise<never>((_, reject) => {
    handle = timers.setTimeout(() => reject(onTimeout()), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    timers.clearTimeout(handle);
  }
}
