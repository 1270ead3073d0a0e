import { describe, expect, it } from 'vitest';
import { defaultConfig, validateConfig } from '../../src/config/load.js';

describe('conditions config section', () => {
  it('defaults to the static world, /sys, a 5 s poll, UPower first and a 90 % warning', () => {
    const c = defaultConfig().conditions;
    expect(c).toMatchObject({ source: 'config', sysfsRoot: '/sys', pollIntervalS: 5, powerPreference: 'upower' });
    expect(c.pins).toEqual({ interfaces: {} });
    expect(c.dataPlan).toEqual({ interfaces: {}, approachingPercent: 90 });
  });

  it('accepts pins and data plans per interface', () => {
    const r = validateConfig({
      conditions: {
        source: 'live',
        pins: { interfaces: { usb0: { kind: 'cellular', metered: true } } },
        dataPlan: { interfaces: { wwan0: { monthlyBytes: 2_000_000_000, resetDay: 15 } }, approachingPercent: 80 },
      },
    });
    expect(r.issues).toEqual([]);
    expect(r.config?.conditions.dataPlan.interfaces.wwan0).toEqual({ monthlyBytes: 2_000_000_000, resetDay: 15 });
  });

  it('names each bad pin or plan field by its path', () => {
    const r = validateConfig({
      conditions: {
        powerPreference: 'acpi',
        pins: { interfaces: { usb0: { kind: 'satellite', bogus: 1 } } },
        dataPlan: { interfaces: { wwan0: { resetDay: 32 } } },
      },
    });
    expect(r.issues.map((i) => i.path).sort()).toEqual([
      'conditions.dataPlan.interfaces.wwan0.monthlyBytes',
      'conditions.dataPlan.interfaces.wwan0.resetDay',
      'conditions.pins.interfaces.usb0.bogus',
      'conditions.pins.interfaces.usb0.kind',
      'conditions.powerPreference',
    ]);
  });
});
