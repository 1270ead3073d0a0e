// Test-only fault injection for the watchdog: with FERRY_TEST_HANG_ON_SIGNAL=1 in the environment,
// SIGUSR2 blocks the main thread forever, so rig tests can prove systemd kills and restarts a hung
// ferryd. Without that variable nothing is installed and SIGUSR2 keeps its default (terminate).
import { writeSync } from 'node:fs';

export const TEST_HANG_ENV = 'FERRY_TEST_HANG_ON_SIGNAL';

/** The part of `process` the hook needs. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: () => void): unknown;
  off(signal: NodeJS.Signals, listener: () => void): unknown;
}

export interface TestHangOptions {
  env?: Readonly<Record<string, string | undefined>>;
  proc?: SignalSource;
  signal?: NodeJS.Signals;
  /** Told just before the hang; must be synchronous (nothing asynchronous runs afterwards). */
  announce?: (line: string) => void;
  /** Blocks forever; replaceable so unit tests can observe the call without hanging. */
  hang?: () => void;
}

/**
 * Blocks the calling thread forever without burning CPU: Atomics.wait on a value nobody changes.
 * To systemd this is the same as a busy loop — no timers run, so no watchdog pings — but it leaves
 * the Pi's cores free. SIGABRT (the watchdog's signal) and SIGKILL still end the process.
 */
export function blockForever(): void {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  for (;;) Atomics.wait(cell, 0, 0);
}

/** Installs the hook when the env asks for it; returns an uninstaller (a no-op when not installed). */
export function installTestHangHook(opts: TestHangOptions = {}): () => void {
  const env = opts.env ?? process.env;
  if (env[TEST_HANG_ENV] !== '1') return () => {};
  const proc = opts.proc ?? process;
  const signal = opts.signal ?? 'SIGUSR2';
  const announce = opts.announce ?? ((line: string) => writeSync(2, `${line}\n`));
  const hang = opts.hang ?? blockForever;
  const listener = (): void => {
    announce(`ferry: ${TEST_HANG_ENV}=1 and ${signal} received: blocking the main loop (test hang)`);
    hang();
  };
  proc.on(signal, listener);
  return () => {
    proc.off(signal, listener);
  };
}
