// A settable wall clock for the real ferryd: libfaketime (Debian package faketime) preloaded into the
// child, reading its offset from a file the test rewrites. The monotonic clock stays real, so timers
// run at real speed while Date.now() jumps: what a gateway sees when NTP corrects its clock.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const CANDIDATES = ['/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1', '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1', '/usr/lib/faketime/libfaketime.so.1'];

export function libfaketime(): string | null {
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

export interface FakeClock {
  /** Environment for the child process. */
  env: Record<string, string>;
  /** From now on the child's wall clock reads `isoOrMs` (and runs on from there). */
  set(isoOrMs: string | number): void;
}

export function createFakeClock(dir: string, start: string | number): FakeClock {
  const lib = libfaketime();
  if (!lib) throw new Error('libfaketime is missing (apt-get install faketime)');
  const file = join(dir, 'faketime');
  const set = (at: string | number): void => {
    const target = typeof at === 'number' ? at : Date.parse(at);
    const offsetS = Math.round((target - Date.now()) / 1000);
    writeFileSync(file, `${offsetS >= 0 ? '+' : ''}${offsetS}s\n`);
  };
  set(start);
  return {
    env: { LD_PRELOAD: lib, FAKETIME_TIMESTAMP_FILE: file, FAKETIME_DONT_FAKE_MONOTONIC: '1', FAKETIME_CACHE_DURATION: '1' },
    set,
  };
}
