import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { MessageBus } from 'dbus-next';
import {
  dbusUnavailableReason,
  ModemManagerMock,
  NetworkManagerMock,
  startPrivateBus,
  UPowerMock,
  type PrivateBus,
} from '../support/dbus.js';
import { createSysfsFixture, type SysfsFixture } from '../support/sysfs.js';
import { makeTempDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';
import { captureLog } from './log-capture.js';
import { defaultConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { createLiveConditions } from '../../src/conditions/live.js';
import type { Conditions, ConditionsSource } from '../../src/conditions/snapshot.js';
import { createUsageStore } from '../../src/queue/usage-store.js';
import { prerequisite } from '../support/prerequisites.js';

let fx: SysfsFixture;
let dir: ReturnType<typeof makeTempDir>;
let db: Database.Database;
let source: ConditionsSource | null = null;

function conditionsConfig(patch: (c: Config['conditions']) => void = () => undefined): Config['conditions'] {
  const c = defaultConfig().conditions;
  c.source = 'live';
  c.pollIntervalS = 0.05;
  patch(c);
  return c;
}

async function start(bus: MessageBus | null, config = conditionsConfig()): Promise<ConditionsSource> {
  source = await createLiveConditions({
    bus,
    sysfsRoot: fx.root,
    transfersRoot: join(dir.path, 'transfers'),
    config,
    usage: createUsageStore(db),
    log: captureLog().log,
    bootId: 'boot-1',
    persistEveryMs: 0,
  });
  return source;
}

beforeEach(() => {
  fx = createSysfsFixture();
  dir = makeTempDir();
  db = new Database(join(dir.path, 'ferry.db'));
});
afterEach(async () => {
  await source?.close();
  source = null;
  db.close();
  dir.cleanup();
  fx.cleanup();
});

describe('live conditions without a D-Bus', () => {
  it('reads network and power from sysfs, reports the D-Bus parts unavailable, and follows sysfs changes', async () => {
    fx.addNet('wlan0', { kind: 'wifi' });
    fx.addSupply('BAT0', { type: 'Battery', capacity: 40, status: 'Discharging' });
    fx.addSupply('AC', { type: 'Mains', online: false });
    const live = await start(null);
    expect(live.current().network).toEqual({ kind: 'wifi', interface: 'wlan0', generation: null, metered: false, roaming: false });
    expect(live.current().power).toEqual({ source: 'battery', batteryPercent: 40, charging: false });
    expect(live.current().storage.freeBytes).toBeGreaterThan(0);
    expect(live.current().sources).toEqual({ network: 'sysfs', modem: 'unavailable', power: 'sysfs', dataPlan: 'none', storage: 'statvfs' });

    const seen: Conditions[] = [];
    live.onChange((c) => seen.push(c));
    fx.setSupply('AC', { online: true });
    fx.setSupply('BAT0', { status: 'Charging' });
    await waitFor(() => seen.length > 0, 5000, 'power change');
    expect(seen[0]!.power).toEqual({ source: 'external', batteryPercent: 40, charging: true });
  });

  it('tracks the data plan of the primary link and flips to over when the counters pass the allowance', async () => {
    fx.addNet('wwan0', { kind: 'wwan', rx: 1000, tx: 1000 });
    const live = await start(null, conditionsConfig((c) => (c.dataPlan.interfaces.wwan0 = { monthlyBytes: 10_000 })));
    expect(live.current().network).toMatchObject({ kind: 'cellular', interface: 'wwan0', metered: true });
    expect(live.current().dataPlan).toEqual({ state: 'ok', usedBytes: 0, limitBytes: 10_000, interface: 'wwan0' });
    expect(live.current().sources.dataPlan).toBe('sysfs');
    fx.setCounters('wwan0', 6000, 6000);
    const over = await new Promise<Conditions>((resolve) => live.onChange(resolve));
    expect(over.dataPlan).toMatchObject({ state: 'over', usedBytes: 10_000 });
  });

  it('reports storage low when the transfers root has less than lowBytes free', async () => {
    const live = await start(null, conditionsConfig((c) => (c.storage.lowBytes = Number.MAX_SAFE_INTEGER)));
    expect(live.current().storage.low).toBe(true);
    expect(live.current().network.kind).toBe('none');
  });
});

const skip = prerequisite('live bus tests', dbusUnavailableReason());

describe.skipIf(skip !== null)('live conditions on a private bus', () => {
  let pb: PrivateBus;
  let bus: MessageBus;
  const mocks: Array<{ stop(): Promise<void> }> = [];

  beforeAll(async () => {
    pb = await startPrivateBus();
    bus = await pb.connect();
  });
  afterEach(async () => {
    await source?.close();
    source = null;
    for (const m of mocks.splice(0)) await m.stop();
  });
  afterAll(async () => {
    await pb?.stop();
  });

  async function world(primary: 'ethernet' | 'wifi' | 'cellular'): Promise<{ nm: NetworkManagerMock; mm: ModemManagerMock; up: UPowerMock }> {
    const nm = await NetworkManagerMock.start(pb, { primary });
    const mm = await ModemManagerMock.start(pb, [{ netPort: 'wwan0', accessTech: '4g' }]);
    const up = await UPowerMock.start(pb, { onBattery: true });
    mocks.push(nm, mm, up);
    await up.setBattery(55, 'discharging');
    return { nm, mm, up };
  }

  it('composes NetworkManager, ModemManager and UPower into one snapshot', async () => {
    await world('cellular');
    const live = await start(bus);
    expect(live.current()).toMatchObject({
      network: { kind: 'cellular', interface: 'wwan0', generation: '4g', metered: true, roaming: false, operator: 'Ferry Mobile', connectivity: 'full' },
      power: { source: 'battery', batteryPercent: 55, charging: false },
      dataPlan: { state: 'ok' },
      sources: { network: 'networkmanager', modem: 'modemmanager', power: 'upower', dataPlan: 'none', storage: 'statvfs' },
    });
  });

  it('emits once per real change, and nothing for a PropertiesChanged that changes nothing', async () => {
    const { mm } = await world('cellular');
    const live = await start(bus);
    const seen: Conditions[] = [];
    live.onChange((c) => seen.push(c));
    await mm.setRoaming(true);
    await waitFor(() => seen.length === 1, 5000, 'roaming change');
    await mm.setRoaming(true); // same value again
    await mm.setAccessTech('2g'); // a real change, to know the no-op has been processed
    await waitFor(() => seen.length >= 2, 5000, '2g change');
    expect(seen.map((c) => [c.network.roaming, c.network.generation])).toEqual([
      [true, '4g'],
      [true, '2g'],
    ]);
  });

  it('falls back to sysfs while NetworkManager is stopped and goes back to it when it returns', async () => {
    fx.addNet('eth0', { kind: 'ethernet' });
    const { nm } = await world('wifi');
    const live = await start(bus);
    expect(live.current().network).toMatchObject({ kind: 'wifi', interface: 'wlan0' });
    await nm.stop();
    await waitFor(() => live.current().sources.network === 'sysfs', 5000, 'sysfs fallback');
    expect(live.current().network).toMatchObject({ kind: 'ethernet', interface: 'eth0', metered: false });
    await nm.start();
    await waitFor(() => live.current().sources.network === 'networkmanager' && live.current().network.kind === 'wifi', 10_000, 'NM back');
  });

  it('never publishes a moment of "no network" while NetworkManager leaves during a sysfs poll', async () => {
    fx.addNet('eth0', { kind: 'ethernet' });
    const { nm } = await world('wifi');
    const live = await start(bus, conditionsConfig((c) => (c.pollIntervalS = 0.01)));
    const seen: Conditions[] = [];
    live.onChange((c) => seen.push(c));
    for (let i = 0; i < 4; i++) {
      await nm.stop();
      await waitFor(() => live.current().sources.network === 'sysfs', 5000, 'sysfs fallback');
      await nm.start();
      await waitFor(() => live.current().sources.network === 'networkmanager', 10_000, 'NM back');
    }
    expect(seen.length).toBeGreaterThanOrEqual(8);
    expect(seen.filter((c) => c.sources.network === 'unavailable')).toEqual([]);
  });

  it('on a bus without the services, uses sysfs with one log line each, and picks the services up when they appear', async () => {
    fx.addNet('eth0', { kind: 'ethernet' });
    const cap = captureLog();
    source = await createLiveConditions({
      bus,
      sysfsRoot: fx.root,
      transfersRoot: dir.path,
      config: conditionsConfig(),
      usage: createUsageStore(db),
      log: cap.log,
      bootId: 'boot-1',
    });
    const live = source;
    expect(live.current().sources).toMatchObject({ network: 'sysfs', modem: 'unavailable', power: 'sysfs' });
    expect(live.current().network).toMatchObject({ kind: 'ethernet', interface: 'eth0' });
    for (const name of ['NetworkManager', 'ModemManager1', 'UPower']) expect(cap.matching(`org.freedesktop.${name} unavailable`)).toBe(1);

    const nm = await NetworkManagerMock.start(pb, { primary: 'cellular' });
    const mm = await ModemManagerMock.start(pb, [{ accessTech: '3g', roaming: true }]);
    mocks.push(nm, mm);
    await waitFor(() => live.current().network.generation === '3g', 10_000, 'NM and MM picked up');
    expect(live.current().network).toMatchObject({ kind: 'cellular', interface: 'wwan0', roaming: true });
    expect(live.current().sources).toMatchObject({ network: 'networkmanager', modem: 'modemmanager' });
  });

  it('applies a metered pin on top of what NetworkManager says', async () => {
    await world('wifi');
    const live = await start(bus, conditionsConfig((c) => (c.pins.interfaces.wlan0 = { metered: true })));
    expect(live.current().network).toMatchObject({ kind: 'wifi', metered: true });
    expect(live.current().sources.pins).toBe('wlan0');
  });
});
