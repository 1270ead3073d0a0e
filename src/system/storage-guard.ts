// Adds the hard storage floor to a conditions source: free space of the state and transfers file systems
// (statvfs, polled) and whether the state database takes writes. While writes are refused it retries the
// unsaved ones each poll; listeners hear a change when the floor is crossed or the store's health flips.
import { statfs } from 'node:fs/promises';
import type { FerryError } from '../errors.js';
import type { Conditions, ConditionsSource, StorageFloor } from '../conditions/snapshot.js';
import { Listeners } from '../conditions/listeners.js';
import type { Logger } from '../log.js';

/** The part of the store the guard needs (queue/store.ts). */
export interface GuardedStore {
  writeProblem(): FerryError | null;
  flushPending(): boolean;
  onHealthChange(listener: (problem: FerryError | null) => void): () => void;
}

export interface StorageGuardDeps {
  store: GuardedStore;
  stateDir: string;
  transfersRoot: string;
  floorBytes: () => number;
  pollMs: number;
  log: Logger;
}

async function freeBytes(dir: string): Promise<number | null> {
  try {
    const s = await statfs(dir);
    return Number(s.bavail) * Number(s.bsize); // bavail: root's reserve is not ours
  } catch {
    return null;
  }
}

function below(f: StorageFloor): string {
  const s = f.stateFreeBytes !== null && f.stateFreeBytes < f.floorBytes ? 's' : '';
  const t = f.transfersFreeBytes !== null && f.transfersFreeBytes < f.floorBytes ? 't' : '';
  return `${s}${t}${f.stateWriteError ?? ''}`;
}

export async function guardStorage(inner: ConditionsSource, deps: StorageGuardDeps): Promise<ConditionsSource> {
  const log = deps.log.child({ component: 'storage' });
  const listeners = new Listeners<Conditions>((e) => log.error({ err: (e as Error).message }, 'conditions listener threw'));
  const measure = async (): Promise<StorageFloor> => ({
    floorBytes: deps.floorBytes(),
    stateFreeBytes: await freeBytes(deps.stateDir),
    transfersFreeBytes: await freeBytes(deps.transfersRoot),
    stateWriteError: (deps.store.writeProblem()?.code as StorageFloor['stateWriteError']) ?? null,
  });
  let floor = await measure();
  let composedFrom: Conditions | null = null;
  let composed: Conditions | null = null;
  const current = (): Conditions => {
    const c = inner.current();
    if (c !== composedFrom || composed === null || composed.storage.floor !== floor) {
      composedFrom = c;
      composed = { ...c, storage: { ...c.storage, floor } };
    }
    return composed;
  };
  let closed = false;
  let scheduled = false;
  // Deferred: a health change is noticed inside a write, and listeners re-enter the scheduler.
  const update = (next: StorageFloor) => {
    const changed = below(next) !== below(floor);
    floor = next;
    if (!changed || scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      if (closed) return;
      log.info({ floor }, 'storage floor state changed');
      listeners.emit(current());
    });
  };
  const offInner = inner.onChange(() => listeners.emit(current()));
  const offHealth = deps.store.onHealthChange((p) => update({ ...floor, stateWriteError: (p?.code as StorageFloor['stateWriteError']) ?? null }));
  let polling: Promise<void> | null = null;
  const timer = setInterval(() => {
    polling ??= (async () => {
      if (deps.store.writeProblem() !== null) deps.store.flushPending();
      const next = await measure();
      if (!closed) update(next);
    })().finally(() => (polling = null));
  }, deps.pollMs);
  timer.unref?.();
  return {
    current,
    onChange: (l) => listeners.add(l),
    async close() {
      closed = true;
      clearInterval(timer);
      offInner();
      offHealth();
      listeners.clear();
      await polling;
      await inner.close();
    },
  };
}
