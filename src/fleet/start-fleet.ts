// Builds the fleet bridge over today's core (the FleetQueue adapter); main.ts imports this lazily, so
// one line there starts the bridge and the lead can re-point the adapter without touching main.ts.
import type { Config } from '../config/schema.js';
import type { FleetMqttConfig } from '../config/sections/fleet.js';
import type { ConditionsSource } from '../conditions/snapshot.js';
import type { Logger } from '../log.js';
import { FLEET } from '../model/principal.js';
import type { JobQueue } from '../queue/job-queue.js';
import type { Db } from '../queue/store.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { DeviceSync } from '../sync/device-sync.js';
import { FleetBridge } from './fleet-bridge.js';
import { createFleetQueue } from './fleet-queue-adapter.js';

export interface StartFleetDeps {
  cfg: FleetMqttConfig;
  queue: JobQueue;
  scheduler: Scheduler;
  /** The store's database: the bridge keeps its own tables there (fleet-store.ts). */
  db: Db;
  config: () => Config;
  conditions: ConditionsSource;
  devices: DeviceSync | null;
  version: string;
  log: Logger;
}

export function startFleet(d: StartFleetDeps): Promise<FleetBridge> {
  const devices = d.devices;
  const queue = createFleetQueue({
    queue: d.queue,
    scheduler: d.scheduler,
    config: d.config,
    ...(devices ? { syncNow: (id: string) => devices.syncNow(id, FLEET) } : {}),
  });
  return FleetBridge.start({ cfg: d.cfg, queue, db: d.db, conditions: d.conditions, transfersRoot: d.config().transfersRoot, version: d.version, log: d.log });
}
