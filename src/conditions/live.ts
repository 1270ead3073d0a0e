// The live conditions source: D-Bus readers (NetworkManager, ModemManager, UPower) push changes, sysfs
// parts (links, power supplies, byte counters) and free space are polled. Invariant: listeners hear a
// snapshot only when it differs from the last one they heard; a missing bus, service or file never
// throws out of here, its part just reads as unavailable until it comes back.
import { readFileSync } from 'node:fs';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { UsageStore } from '../queue/usage-store.js';
import type { Conditions, ConditionsSource, PowerConditions, StorageConditions } from './snapshot.js';
import type { MessageBus } from './dbus-call.js';
import type { ServiceReader } from './dbus-service-reader.js';
import { startNetworkManagerReader, type NetworkManagerState } from './network-manager.js';
import { startModemManagerReader, type ModemInfo } from './modem-manager.js';
import { startUPowerReader } from './upower.js';
import { readPowerSupplies } from './power-supply.js';
import { readSysfsNet, type SysfsNetState } from './sysfs-net.js';
import { readStorage } from './storage.js';
import { createDataPlanTracker } from './data-plan.js';
import { composeSnapshot, sameConditions } from './compose-snapshot.js';
import { Poller, Published } from './published.js';

export interface LiveConditionsDeps {
  bus: MessageBus | null;
  sysfsRoot: string;
  transfersRoot: string;
  config: Config['conditions'];
  usage: UsageStore;
  log: Logger;
  now?: () => number;
  /** The kernel boot id (tells a reboot from a counter wrap); read from /proc when not given. */
  bootId?: string | null;
  /** Retry delay for a D-Bus service that is on the bus but failed a read. */
  retryMs?: number;
  /** Data-plan writes are spaced this far apart (default 60 s). */
  persistEveryMs?: number;
}

function readBootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
  } catch {
    return null;
  }
}

export async function createLiveConditions(deps: LiveConditionsDeps): Promise<ConditionsSource> {
  const { config, bus } = deps;
  const log = deps.log.child({ component: 'conditions' });
  const now = deps.now ?? Date.now;
  const tracker = createDataPlanTracker({
    sysfsRoot: deps.sysfsRoot,
    config: config.dataPlan,
    usage: deps.usage,
    bootId: deps.bootId === undefined ? readBootId() : deps.bootId,
    log,
    now,
    persistEveryMs: deps.persistEveryMs,
  });

  let nm: ServiceReader<NetworkManagerState> | null = null;
  let mm: ServiceReader<ModemInfo[]> | null = null;
  let up: ServiceReader<PowerConditions> | null = null;
  if (bus) {
    const readerDeps = { bus, log, retryMs: deps.retryMs };
    [nm, mm, up] = await Promise.all([startNetworkManagerReader(readerDeps), startModemManagerReader(readerDeps), startUPowerReader(readerDeps)]);
  } else {
    log.warn('no D-Bus system bus: NetworkManager, ModemManager and UPower unavailable, using sysfs');
  }

  let sysNet: SysfsNetState | null = null;
  let sysPower: PowerConditions | null = null;
  let storage: StorageConditions | null = null;
  const missingLogged = new Set<string>();
  function noteMissing(part: string, missing: boolean, what: string): void {
    if (missing && !missingLogged.has(part)) {
      missingLogged.add(part);
      log.warn({ part }, `${what} unavailable`);
    } else if (!missing && missingLogged.delete(part)) {
      log.info({ part }, `${what} available again`);
    }
  }

  function compute(): Conditions {
    return composeSnapshot(
      {
        nm: nm?.current() ?? null,
        sysNet,
        modems: mm?.current() ?? null,
        upower: up?.current() ?? null,
        sysPower,
        storage,
        dataPlan: (iface) => tracker.state(iface),
      },
      config,
    );
  }

  async function pollOnce(): Promise<void> {
    try {
      sysPower = await readPowerSupplies(deps.sysfsRoot);
      noteMissing('power', sysPower === null && !up?.current(), 'power (UPower and power_supply)');
      storage = await readStorage(deps.transfersRoot, config.storage);
      noteMissing('storage', storage === null, `free space of ${deps.transfersRoot}`);
      await tracker.sample();
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'conditions poll failed');
    }
    try {
      // The sysfs link list only matters while NetworkManager cannot answer. Checked last, with no await
      // between a "NM is there" answer and the update that follows: NetworkManager leaving while this poll
      // was in flight would otherwise publish a moment of "no network" (poll() joins the running poll).
      if (nm?.current()) sysNet = null;
      else {
        sysNet = await readSysfsNet(deps.sysfsRoot);
        noteMissing('sysfs-net', sysNet === null, `${deps.sysfsRoot}/class/net`);
      }
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'conditions poll failed');
    }
  }
  let closed = false;
  await pollOnce();
  const value = new Published<Conditions>(compute(), sameConditions, (e) => log.error({ err: (e as Error).message }, 'conditions listener threw'));
  value.onChange((next) =>
    log.info({ network: next.network, power: next.power, dataPlan: next.dataPlan.state, storageLow: next.storage.low, sources: next.sources }, 'conditions changed'),
  );
  function update(): void {
    if (!closed) value.set(compute()); // kept even when unchanged: byte counts stay fresh for current()
  }
  const poller = new Poller(pollOnce, config.pollIntervalS * 1000, update);
  const poll = () => poller.run();

  const unsubscribe = [
    nm?.onChange((v) => {
      if (v === null) void poll(); // NetworkManager left: fall back to sysfs now, not at the next tick
      else update();
    }),
    mm?.onChange(() => update()),
    up?.onChange(() => update()),
  ];

  return {
    current: () => value.current(),
    onChange: (listener) => value.onChange(listener),
    async close() {
      if (closed) return;
      closed = true;
      for (const u of unsubscribe) u?.();
      value.clear();
      await poller.close();
      tracker.flush();
      await Promise.all([nm?.close(), mm?.close(), up?.close()]);
    },
  };
}
