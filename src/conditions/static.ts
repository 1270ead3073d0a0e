// Conditions fixed by the config ("source": "config"): the operator states the world, except free space,
// which is always measured. Listeners hear a change only when storage.low or measurability flips.
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Conditions, ConditionsSource, StorageConditions } from './snapshot.js';
import { readStorage, readStorageSync } from './storage.js';
import { sameConditions } from './compose-snapshot.js';
import { Poller, Published } from './published.js';

export interface StaticConditionsDeps {
  transfersRoot: string;
  log: Logger;
}

export function createStaticConditions(config: Config['conditions'], deps: StaticConditionsDeps): ConditionsSource {
  const log = deps.log.child({ component: 'conditions' });
  const s = config.static;

  function build(storage: StorageConditions | null): Conditions {
    return {
      network: { ...s.network, kind: s.network.kind as Conditions['network']['kind'], generation: s.network.generation as Conditions['network']['generation'] },
      power: { ...s.power },
      dataPlan: { state: s.dataPlan.state as Conditions['dataPlan']['state'], usedBytes: 0, limitBytes: null },
      storage: storage ?? { freeBytes: null, low: false },
      sources: { network: 'config', power: 'config', dataPlan: 'config', storage: storage ? 'statvfs' : 'unavailable' },
    };
  }

  const value = new Published(build(readStorageSync(deps.transfersRoot, config.storage)), sameConditions, (e) =>
    log.error({ err: (e as Error).message }, 'conditions listener threw'),
  );
  value.onChange((next) => log.info({ storage: next.storage }, 'conditions changed'));
  let closed = false;
  const poller = new Poller(async () => {
    const next = build(await readStorage(deps.transfersRoot, config.storage));
    if (!closed) value.set(next);
  }, config.pollIntervalS * 1000);

  return {
    current: () => value.current(),
    onChange: (listener) => value.onChange(listener),
    async close() {
      closed = true;
      value.clear();
      await poller.close();
    },
  };
}
