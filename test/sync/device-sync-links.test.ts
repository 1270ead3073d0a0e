// Device sync in-process over BLE and USB (the fake noble and fake usb behind the drivers, the SMP
// simulator as the device), with the real store and scheduler: a dropped link or an unplug holds the job
// with device-disconnected and it resumes from its last confirmed offset when the device is back;
// without Bluetooth the device is `unavailable`.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { TransportError } from '../../drivers/transport.js';
import { validateConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { JobQueue } from '../../src/queue/job-queue.js';
import { TransferStore } from '../../src/queue/store.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import type { DeviceHardware } from '../../src/sync/device-hardware.js';
import { DeviceSync } from '../../src/sync/device-sync.js';
import { FakeNoble } from '../support/ble-sim/fake-noble.js';
import { FakeUsb } from '../support/usb-sim/fake-usb.js';
import { MutableConditions } from '../support/mutable-conditions.js';
import { SmpDeviceSim } from '../support/smp-sim/smp-device-sim.js';
import { makeTempDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const ADDRESS = 'c0:ff:ee:00:00:01';
const missing = (what: string) => async () => ({ ok: null, error: new TransportError('UNAVAILABLE', `${what} is not available (test)`) });

function hardware(noble: FakeNoble | null, usb: FakeUsb | null = null): DeviceHardware {
  return {
    serial: missing('serial'),
    usb: usb ? async () => ({ ok: usb }) : missing('USB'),
    noble: noble ? async () => ({ ok: noble }) : missing('Bluetooth'),
    createUdpSocket: () => {
      throw new Error('no UDP in this test');
    },
    sysRoot: '/nonexistent',
    devRoot: '/nonexistent',
  };
}

const BLE_DEVICE = {
  id: 'tag',
  transport: { kind: 'ble', address: ADDRESS },
  pull: [{ remote: '/lfs/trace.bin' }],
  when: { onConnect: false },
  retry: { initialDelayS: 0.05, maxDelayS: 0.2 },
};

describe('device sync over BLE and USB', () => {
  const dir = makeTempDir('ferry-ble-');
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  let run = 0;
  async function start(device: Record<string, unknown>, hw: DeviceHardware) {
    run++;
    const r = validateConfig({ stateDir: join(dir.path, `state-${run}`), transfersRoot: join(dir.path, `root-${run}`), devices: [device] });
    const cfg = r.config as Config;
    const config = () => cfg;
    const log = pino({ level: 'silent' });
    const store = TransferStore.open(cfg.stateDir);
    const queue = new JobQueue({ store, config, log });
    const sync = await DeviceSync.create({ config, queue, hw, log, recheckMs: 300, lingerMs: 50 });
    const conditions = sync.wrapConditions(new MutableConditions());
    const scheduler = new Scheduler({ queue, conditions, runners: { 'device-sync': sync.runner }, config, log });
    scheduler.start();
    await sync.start();
    cleanups.push(async () => {
      await scheduler.shutdown();
      await sync.close();
      store.close();
    });
    return { cfg, store, sync };
  }

  it('waits with device-disconnected when the BLE link drops mid-pull and resumes when the device is back', async () => {
    const noble = new FakeNoble();
    const sim = new SmpDeviceSim({ delayMs: 3 });
    const trace = new Uint8Array(randomBytes(12_000));
    sim.files.set('/lfs/trace.bin', trace);
    const peripheral = noble.addPeripheral({ address: ADDRESS, handler: sim });
    const { cfg, store, sync } = await start(BLE_DEVICE, hardware(noble));

    const { transfers } = await sync.syncNow('tag', { name: 'tester', uid: 1000, admin: false });
    const id = transfers[0]!.id;
    await waitFor(() => store.get(id)!.bytesTransferred >= 3000, 10_000, 'pull under way');
    peripheral.dropLink();
    const held = await waitFor(() => (store.get(id)!.state === 'waiting' ? store.get(id)! : null), 5000, 'job held');
    expect(held.reasons.map((r) => r.code)).toContain('device-disconnected');
    expect(sync.presence.get('tag')).toMatchObject({ state: 'absent' });
    const droppedAt = sim.requests.length;

    // No watcher sees a BLE device come back: after the recheck period the job probes by connecting.
    const done = await waitFor(() => (['completed', 'failed'].includes(store.get(id)!.state) ? store.get(id)! : null), 15_000, 'job finished');
    expect(done.state).toBe('completed');
    expect(sha(readFileSync(join(cfg.transfersRoot, 'devices/tag/trace.bin')))).toBe(sha(trace));
    const firstRead = sim.requests.slice(droppedAt).find((q) => q.header.group === 8 && q.header.id === 0);
    expect(Number(firstRead!.body.off)).toBeGreaterThan(0);
    expect(peripheral.connectCount).toBe(2);
  });

  it('resumes a file push over USB from the device-confirmed offset after an unplug and replug', async () => {
    const usb = new FakeUsb();
    const sim = new SmpDeviceSim({ delayMs: 3 });
    const plug = () => usb.plug({ vid: 0x2fe3, pid: 0x0100, functions: ['vendor'], handler: sim });
    const first = plug();
    const device = {
      id: 'probe',
      transport: { kind: 'usb', vid: '2fe3', pid: '0100' },
      push: [{ type: 'file', local: 'cfg/probe.json', remote: '/lfs/probe.json' }],
      when: { onConnect: false },
      retry: { initialDelayS: 0.05, maxDelayS: 0.2 },
    };
    const content = new Uint8Array(randomBytes(12_000));
    const { cfg, store, sync } = await start(device, hardware(null, usb));
    mkdirSync(join(cfg.transfersRoot, 'cfg'), { recursive: true });
    writeFileSync(join(cfg.transfersRoot, 'cfg/probe.json'), content);
    expect(sync.presence.get('probe')).toMatchObject({ state: 'present', transport: 'usb:2fe3:0100' });

    const { transfers } = await sync.syncNow('probe', { name: 'tester', uid: 1000, admin: false });
    const id = transfers[0]!.id;
    await waitFor(() => (sim.fsUpload?.off ?? 0) >= 3000, 10_000, 'push under way');
    usb.unplug(first);
    const held = await waitFor(() => (store.get(id)!.state === 'waiting' ? store.get(id)! : null), 5000, 'job held');
    expect(held.reasons.map((r) => r.code)).toContain('device-disconnected');
    const deviceHas = sim.files.get('/lfs/probe.json')!.length;
    const unpluggedAt = sim.requests.length;

    plug();
    const done = await waitFor(() => (['completed', 'failed'].includes(store.get(id)!.state) ? store.get(id)! : null), 15_000, 'job finished');
    expect(done.error).toBeNull();
    expect(sha(sim.files.get('/lfs/probe.json')!)).toBe(sha(content));
    const writes = sim.requests.slice(unpluggedAt).filter((q) => q.header.group === 8 && q.header.id === 0 && q.header.op === 2);
    expect(Number(writes[0]!.body.off)).toBeGreaterThan(0);
    expect(Number(writes[0]!.body.off)).toBeLessThanOrEqual(deviceHas);
  });

  it('reports the device unavailable without Bluetooth and refuses on-demand sync, without failing', async () => {
    const { sync } = await start(BLE_DEVICE, hardware(null));
    const { devices } = await sync.list();
    expect(devices[0]).toMatchObject({ id: 'tag', kind: 'ble', state: 'unavailable', reason: 'Bluetooth is not available (test)' });
    await expect(sync.syncNow('tag', { name: 'tester', uid: 1000, admin: false })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});
