// Conditions fixed by the config ("source": "config"): the operator states the world, except free space,
// which is always measured. Listeners hear a change only when storage.low or measurability flips.
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Conditions, ConditionsSource, StorageConditions } from './snapshot.js';
import { readStorage, readStorageSync } from './storage.js';
import { sameConditions } from './compose-snapshot.js';
import { Listeners } from './listeners.js';

export interface StaticConditionsDeps {
  transfersRoot: string;
  log: Logger;
}

export function createStaticConditions(config: Config['conditions'], deps: StaticConditionsDeps): ConditionsSource {
  const log = deps.log.child({ component: 'conditions' });
  const s = config.static;
  const listeners = new Listeners<Conditions>((e) => log.error({ err: (e as Error).message }, 'conditions listener threw'));

  function build(storage: StorageConditions | null): Conditions {
    return {
      network: { ...s.network, kind: s.network.kind as Conditions['network']['kind'], generation: s.network.generation as Conditions['network']['generation'] },
      power: { ...s.power },
      dataPlan: { state: s.dataPlan.state as Conditions['dataPlan']['state'], usedBytes: 0, limitBytes: null },
      storage: storage ?? { freeBytes: null, low: false },
      sources: { network: 'config', power: 'config', dataPlan: 'config', storage: storage ? 'statvfs' : 'unavailable' },
    };
  }

  let last = build(readStorageSync(deps.transfersRoot, config.storage));
  let closed = false;
  let polling: Promise<void> | null = null;
  async function poll(): Promise<void> {
    const next = build(await readStorage(deps.transfersRoot, config.storage));
    if (closed) return;
    const changed = !sameConditions(next, last);
    last = next;
    if (!changed) return;
    log.info({ storage: next.storage }, 'conditions changed');
    listeners.emit(next);
  }
  const timer = setInterval(() => {
    polling ??= poll().finally(() => (polling = null));
  }, config.pollIntervalS * 1000);
  timer.unref?.();

  return {
    current: () => last,
    onChange(listener) {
      return listeners.add(listener);
    },
    async close() {
      closed = true;
      clearInterval(timer);
      listeners.clear();
      await polling;
    },
  };
}
