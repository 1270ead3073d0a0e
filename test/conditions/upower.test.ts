import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MessageBus } from 'dbus-next';
import { dbusUnavailableReason, startPrivateBus, UPowerMock, type PrivateBus } from '../support/dbus.js';
import { waitFor } from '../support/wait.js';
import { captureLog } from './log-capture.js';
import { powerFromUPower, startUPowerReader } from '../../src/conditions/upower.js';
import type { ServiceReader } from '../../src/conditions/dbus-service-reader.js';
import type { PowerConditions } from '../../src/conditions/snapshot.js';
import { prerequisite } from '../support/prerequisites.js';

describe('UPower mapping', () => {
  it('reports no battery when the DisplayDevice is not present', () => {
    expect(powerFromUPower(false, { IsPresent: false, Percentage: 0, State: 0 })).toEqual({ source: 'external', batteryPercent: null, charging: false });
  });
  it('counts a full battery on external power as charging, not on battery', () => {
    expect(powerFromUPower(false, { IsPresent: true, Percentage: 100, State: 4 }).charging).toBe(true);
    expect(powerFromUPower(true, { IsPresent: true, Percentage: 100, State: 4 }).charging).toBe(false);
    expect(powerFromUPower(true, { IsPresent: true, Percentage: 41.6, State: 2 })).toEqual({ source: 'battery', batteryPercent: 42, charging: false });
  });
});

const skip = prerequisite('UPower bus tests', dbusUnavailableReason());

describe.skipIf(skip !== null)('UPower reader on a private bus', () => {
  let pb: PrivateBus;
  let bus: MessageBus;
  let up: UPowerMock | null = null;
  let reader: ServiceReader<PowerConditions> | null = null;

  beforeAll(async () => {
    pb = await startPrivateBus();
    bus = await pb.connect();
  });
  afterEach(async () => {
    await reader?.close();
    reader = null;
    await up?.stop();
    up = null;
  });
  afterAll(async () => {
    await pb?.stop();
  });

  it('reads external power with no battery, then follows unplugging and the battery draining', async () => {
    up = await UPowerMock.start(pb);
    reader = await startUPowerReader({ bus, log: captureLog().log });
    expect(reader.current()).toEqual({ source: 'external', batteryPercent: null, charging: false });
    await up.setBattery(80, 'charging');
    await waitFor(() => reader!.current()?.charging === true, 5000, 'charging');
    expect(reader.current()?.batteryPercent).toBe(80);
    await up.setOnBattery(true);
    await up.setBattery(79, 'discharging');
    await waitFor(() => reader!.current()?.batteryPercent === 79, 5000, 'discharging');
    expect(reader.current()).toEqual({ source: 'battery', batteryPercent: 79, charging: false });
  });

  it('is unavailable while UPower is stopped and recovers when it returns', async () => {
    const cap = captureLog();
    up = await UPowerMock.start(pb, { onBattery: true });
    reader = await startUPowerReader({ bus, log: cap.log });
    expect(reader.current()?.source).toBe('battery');
    await up.stop();
    await waitFor(() => reader!.current() === null, 5000, 'unavailable');
    expect(cap.matching('unavailable')).toBe(1);
    await up.start({ onBattery: false });
    await waitFor(() => reader!.current()?.source === 'external', 10_000, 'back on external');
  });
});
