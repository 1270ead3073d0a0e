// Builds the fleet bridge over today's core (the FleetQueue adapter); main.ts imports this lazily, so
// one line there starts the bridge and the lead can re-point the adapter without touching main.ts.
import type { Config } from '../config/schema.js';
import type { FleetMqttConfig } from '../config/sections/fleet.js';
import type { ConditionsSource } from '../conditions/snapshot.js';
import type { Logger } from '../log.js';
import type { TransferStore } from '../queue/store.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { DeviceSync } from '../sync/device-sync.js';
import { FleetBridge } from './fleet-bridge.js';
import { createFleetQueue } from './fleet-queue-adapter.js';

export interface StartFleetDeps {
  cfg: FleetMqttConfig;
  store: TransferStore;
  scheduler: Scheduler;
  config: () => Config;
  conditions: ConditionsSource;
  devices: DeviceSync | null;
  version: string;
  log: Logger;
}

export function startFleet(d: StartFleetDeps): Promise<FleetBridge> {
  const devices = d.devices;
  const queue = createFleetQueue({
    store: d.store,
    scheduler: d.scheduler,
    config: d.config,
    ...(devices ? { syncNow: (id: string, owner: string) => devices.syncNow(id, owner) } : {}),
  });
  return FleetBridge.start({ cfg: d.cfg, queue, db: d.store.db, conditions: d.conditions, transfersRoot: d.config().transfersRoot, version: d.version, log: d.log });
}
