// Composition root: the only place that opens the store, the bus, the socket and wires the parts.
// Nothing happens at import time; `startAgent` returns a handle that stops everything in order.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdir, rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { execFileSync } from 'node:child_process';
import type { Config } from './config/schema.js';
import { loadConfigFile } from './config/load.js';
import type { ConditionsSource } from './conditions/snapshot.js';
import { createStaticConditions } from './conditions/static.js';
import { createUsageStore } from './queue/usage-store.js';
import { JobQueue } from './queue/job-queue.js';
import { TransferStore } from './queue/store.js';
import { Scheduler } from './scheduler/scheduler.js';
import type { Runners } from './scheduler/runner.js';
import { createCostContext } from './policy/cost-rules.js';
import { bandwidthLimit } from './policy/bandwidth-rules.js';
import { dayBounds, localDay, SYSTEM_ZONE } from './policy/windows.js';
import { createUsageLedger } from './queue/usage-ledger.js';
import { createThrottle } from './transfer/throttle.js';
import { renderUsageMetrics, usageRoutes } from './api/usage-routes.js';
import type { Engine } from './transfer/engine.js';
import { removePart, sweepOrphanParts } from './transfer/part-file.js';
import { isFinal } from './model/job.js';
import { guardStorage } from './system/storage-guard.js';
import { packageRoot } from './system/package-root.js';
import { createActions } from './api/actions.js';
import { ApiServer } from './api/server.js';
import type { Logger } from './log.js';
import type { DeviceSync } from './sync/device-sync.js';
import { systemHardware } from './sync/device-hardware.js';
import { noDeviceRoutes } from './sync/no-device-routes.js';
import type { Route } from './api/routes.js';
import { fleetHealth, fleetRoutes } from './fleet/fleet-routes.js';
import type { FleetBridge } from './fleet/fleet-bridge.js';
import { meterFleetTraffic } from './fleet/fleet-usage.js';

export interface AgentOptions {
  config: Config;
  /** Re-read on SIGHUP; null when the agent runs on embedded defaults. */
  configFile: string | null;
  log: Logger;
  peerUid: (socket: Socket) => number;
}

export interface Agent {
  socketPath: string;
  scheduler: Scheduler;
  queue: JobQueue;
  conditions: ConditionsSource;
  config(): Config;
  reload(): { ok: true } | { ok: false; error: string };
  stop(): Promise<void>;
}

let version: string | undefined;

/** package.json's version, read once (system/package-root.ts finds it from src/, dist/src/ or the bundle). */
export function packageVersion(): string {
  if (version === undefined) {
    const root = packageRoot(dirname(fileURLToPath(import.meta.url)));
    try {
      version = root ? (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version : '0.0.0';
    } catch {
      version = '0.0.0';
    }
  }
  return version;
}

function groupId(name: string): number | null {
  try {
    const line = execFileSync('getent', ['group', name], { encoding: 'utf8' });
    const gid = Number(line.split(':')[2]);
    return Number.isInteger(gid) ? gid : null;
  } catch {
    return null;
  }
}

export async function startAgent(opts: AgentOptions): Promise<Agent> {
  let current = opts.config;
  const config = () => current;
  const log = opts.log;
  await mkdir(current.transfersRoot, { recursive: true, mode: 0o750 });
  const store = TransferStore.open(current.stateDir, { log });
  const closers: Array<() => Promise<void> | void> = [() => store.close()];
  // Windows and usage days are local wall-clock time: the configured zone or the system's (TZ).
  const zone = (): string => current.policy.timeZone ?? SYSTEM_ZONE;
  try {
    if (store.unreadable.length > 0) log.error({ ids: store.unreadable }, 'stored transfers that cannot be read were left out of the queue');
    try {
      const swept = sweepOrphanParts(current.transfersRoot, store.all().filter((t) => !isFinal(t.state)).map((t) => t.id));
      if (swept > 0) log.info({ swept }, 'removed part files no unfinished transfer owns');
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'could not sweep the part folder');
    }
    // The queue first: every source of work below enqueues through it; jobs a crash left running are
    // decided again before any trigger adds new ones.
    const queue = new JobQueue({ store, config, log });
    let conditions: ConditionsSource;
    const dataPlanCounters = createUsageStore(store.db);
    if (current.conditions.source === 'live') {
      // Loaded only here: a config-driven agent never pays for dbus-next.
      const { openSystemBus } = await import('./conditions/open-bus.js');
      const { createLiveConditions } = await import('./conditions/live.js');
      const bus = await openSystemBus(log);
      conditions = await createLiveConditions({
        bus,
        sysfsRoot: current.conditions.sysfsRoot,
        transfersRoot: current.transfersRoot,
        config: current.conditions,
        usage: dataPlanCounters,
        log,
      });
      closers.unshift(async () => {
        await conditions.close();
        bus?.disconnect();
      });
    } else {
      const fixed = createStaticConditions(current.conditions, { transfersRoot: current.transfersRoot, log });
      conditions = fixed;
      closers.unshift(() => fixed.close());
    }

    // Device sync looks at its devices before the first decision pass, and adds their presence to the
    // conditions. Loaded only when there is something to sync (configured devices or queued device jobs).
    const hw = systemHardware({ onUsbProblem: (e) => log.warn({ component: 'usb', err: (e as Error)?.message ?? String(e) }, 'USB problem') });
    let devices: DeviceSync | null = null;
    let extraRoutes: Route[] = noDeviceRoutes(hw) as Route[];
    if (current.devices.length > 0 || queue.all().some((t) => t.kind === 'device-sync')) {
      const { DeviceSync } = await import('./sync/device-sync.js');
      const { deviceRoutes } = await import('./sync/device-routes.js');
      const sync = await DeviceSync.create({ config, queue, hw, log });
      devices = sync;
      closers.unshift(() => sync.close());
      conditions = sync.wrapConditions(conditions);
      extraRoutes = deviceRoutes(sync) as Route[];
    }

    // Byte accounting and bandwidth limits: every HTTP body chunk passes one pacer per attempt.
    const ledger = createUsageLedger({
      db: store.db,
      now: Date.now,
      dayOf: (ms) => dayBounds(ms, zone()),
      link: () => conditions.current().network,
      flushEveryMs: current.transfers.checkpointMs,
      flushEveryBytes: current.transfers.checkpointBytes,
      onWriteError: (e) => log.warn({ err: (e as Error)?.message ?? String(e) }, 'could not write the usage ledger; its counts are kept and written once the disk takes writes'),
    });
    store.addRider(ledger.rider);
    closers.splice(closers.length - 1, 0, () => ledger.close()); // written before the store closes
    const throttle = createThrottle({
      limitFor: (t) => bandwidthLimit(t, conditions.current().network.kind, current.policy, Date.now(), zone()),
      onBytes: (t, direction, n) => ledger.count(t.owner, direction, n),
      onAttemptEnd: () => ledger.flush(),
    });

    // The hard storage floor and the store's write health ride on the conditions (policy/storage-floor.ts).
    const guarded = await guardStorage(conditions, {
      store,
      stateDir: current.stateDir,
      transfersRoot: current.transfersRoot,
      floorBytes: () => config().conditions.storage.floorBytes,
      pollMs: current.conditions.pollIntervalS * 1000,
      log,
    });
    closers.unshift(() => guarded.close());
    conditions = guarded;


    // The HTTP engine is loaded with the first transfer, so an idle gateway
    // agent stays small; it is created once and kept.
    let engine: Promise<Engine> | null = null;
    const loadEngine = (): Promise<Engine> =>
      (engine ??= import('./transfer/engine.js').then(({ createEngine }) =>
        createEngine({ transfers: current.transfers, transfersRoot: current.transfersRoot, log, throttle }),
      ));
    closers.unshift(async () => {
      if (engine) await (await engine).close();
    });
    const runners: Runners = {
      http: {
        runAttempt: async (t, signal, cb) => (await loadEngine()).runAttempt(t, signal, cb),
        probe: async (t, signal) => (await loadEngine()).probe(t, signal),
        async discard(t) {
          if (t.direction === 'download') removePart(current.transfersRoot, t.id);
        },
      },
      ...(devices ? { 'device-sync': devices.runner } : {}),
    };
    const costContext = (now: number) =>
      createCostContext({ policy: current.policy, clients: current.clients, now, zone: zone(), usedToday: ledger.usedToday });
    const scheduler = new Scheduler({ queue, conditions, runners, config, log, costContext });

    let fleet: FleetBridge | null = null;
    const actions = createActions({ queue, scheduler, conditions, version: packageVersion(), healthExtras: () => ({ fleet: fleetHealth(fleet) }) });
    const api = new ApiServer({
      config,
      routes: {
        actions,
        queue,
        conditions,
        startedAtMs: Date.now(),
        extra: [...extraRoutes, ...(fleetRoutes(() => fleet) as Route[]), ...usageRoutes({ ledger, interfaces: () => dataPlanCounters.all(), dayOf: (ms) => localDay(ms, zone()) })],
        metricsExtra: () => renderUsageMetrics(ledger),
      },
      peerUid: opts.peerUid,
      groupId,
      log,
    });
    scheduler.start();
    await devices?.start();
    if (current.fleet.mqtt) {
      // Loaded only when configured: without fleet.mqtt, MQTT.js never enters the agent's memory.
      const { startFleet } = await import('./fleet/start-fleet.js');
      const bridge = await startFleet({ cfg: current.fleet.mqtt, queue, scheduler, db: store.db, config, conditions, devices, version: packageVersion(), log });
      fleet = bridge;
      // Sampled into the ledger every 10 s; the last sample is taken after the bridge's goodbye.
      closers.unshift(meterFleetTraffic({ traffic: () => bridge.traffic(), count: ledger.count, everyMs: 10_000 }));
      closers.unshift(() => bridge.stop());
    }
    const socketPath = await api.listen();
    log.info({ transfers: queue.size, states: queue.countByState() }, 'queue loaded');

    return {
      socketPath,
      scheduler,
      queue,
      conditions,
      config,
      reload() {
        if (!opts.configFile) return { ok: false, error: 'no config file to reload (running on embedded defaults)' };
        try {
          const next = loadConfigFile(opts.configFile);
          for (const k of ['stateDir', 'transfersRoot'] as const) {
            if (next[k] !== current[k]) log.warn({ key: k }, 'changed in the config file; takes effect on restart');
          }
          if (next.socket.path !== current.socket.path) log.warn({ key: 'socket.path' }, 'changed in the config file; takes effect on restart');
          current = { ...next, stateDir: current.stateDir, transfersRoot: current.transfersRoot, socket: current.socket };
          log.info({ file: opts.configFile }, 'config reloaded');
          scheduler.requestReconcile();
          return { ok: true };
        } catch (e) {
          log.error({ file: opts.configFile, err: (e as Error).message }, 'config reload refused; keeping the old config');
          return { ok: false, error: (e as Error).message };
        }
      },
      async stop() {
        await api.close();
        await scheduler.shutdown();
        for (const c of closers) await c();
        await rm(socketPath, { force: true });
      },
    };
  } catch (e) {
    for (const c of closers) await Promise.resolve(c()).catch(() => undefined);
    throw e;
  }
}
