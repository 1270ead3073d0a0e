import { afterEach, describe, expect, it } from 'vitest';
import { createSysfsFixture, type SysfsFixture } from '../support/sysfs.js';
import { readPowerSupplies } from '../../src/conditions/power-supply.js';

describe('readPowerSupplies', () => {
  let fx: SysfsFixture;
  afterEach(() => fx.cleanup());

  it('is null when /sys/class/power_supply is missing', async () => {
    fx = createSysfsFixture({ withPowerSupply: false });
    expect(await readPowerSupplies(fx.root)).toBeNull();
  });

  it('reads a box without any supply entries as mains powered', async () => {
    fx = createSysfsFixture();
    expect(await readPowerSupplies(fx.root)).toEqual({ source: 'external', batteryPercent: null, charging: false });
  });

  it('follows a Mains supply going offline and the battery taking over', async () => {
    fx = createSysfsFixture();
    fx.addSupply('AC', { type: 'Mains', online: true });
    fx.addSupply('BAT0', { type: 'Battery', capacity: 97, status: 'Charging' });
    expect(await readPowerSupplies(fx.root)).toEqual({ source: 'external', batteryPercent: 97, charging: true });
    fx.setSupply('AC', { online: false });
    fx.setSupply('BAT0', { status: 'Discharging', capacity: 96 });
    expect(await readPowerSupplies(fx.root)).toEqual({ source: 'battery', batteryPercent: 96, charging: false });
  });

  it('counts an online USB supply as external power', async () => {
    fx = createSysfsFixture();
    fx.addSupply('usb', { type: 'USB', online: true });
    fx.addSupply('battery', { type: 'Battery', capacity: 100, status: 'Full' });
    expect(await readPowerSupplies(fx.root)).toEqual({ source: 'external', batteryPercent: 100, charging: true });
  });

  it("ignores a peripheral's battery (scope Device)", async () => {
    fx = createSysfsFixture();
    fx.addSupply('hid-mouse-battery', { type: 'Battery', capacity: 5, status: 'Discharging', scope: 'Device' });
    expect(await readPowerSupplies(fx.root)).toEqual({ source: 'external', batteryPercent: null, charging: false });
  });

  it('with no Mains/USB entry at all, trusts the battery status', async () => {
    fx = createSysfsFixture();
    fx.addSupply('bq27441-0', { type: 'Battery', capacity: 50, status: 'Charging' });
    expect((await readPowerSupplies(fx.root))?.source).toBe('external');
    fx.setSupply('bq27441-0', { status: 'Discharging' });
    expect((await readPowerSupplies(fx.root))?.source).toBe('battery');
  });
});
