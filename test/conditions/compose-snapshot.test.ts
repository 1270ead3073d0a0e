import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import { composeSnapshot, sameConditions, type SnapshotParts } from '../../src/conditions/compose-snapshot.js';
import type { ModemInfo } from '../../src/conditions/modem-manager.js';

const modem = (over: Partial<ModemInfo> = {}): ModemInfo => ({
  path: '/org/freedesktop/ModemManager1/Modem/0',
  netPorts: ['wwan0'],
  primaryPort: 'cdc-wdm0',
  accessTechnologies: 1 << 14,
  generation: '4g',
  signalPercent: 70,
  state: 11,
  registrationState: 5,
  roaming: true,
  operator: 'Ferry Mobile',
  ...over,
});

function parts(over: Partial<SnapshotParts> = {}): SnapshotParts {
  return {
    nm: null,
    sysNet: null,
    modems: null,
    upower: null,
    sysPower: null,
    storage: { freeBytes: 5e9, low: false },
    dataPlan: () => null,
    ...over,
  };
}

const nmCell = { kind: 'cellular' as const, interface: 'wwan0', metered: true, meteredRaw: 3, connectivity: 'full', state: 'connected-global' };
const nmWifi = { kind: 'wifi' as const, interface: 'wlan0', metered: false, meteredRaw: 4, connectivity: 'full', state: 'connected-global' };

describe('composeSnapshot', () => {
  it('takes generation, roaming and operator from the modem behind a cellular primary link', () => {
    const c = composeSnapshot(parts({ nm: nmCell, modems: [modem()] }), defaultConfig().conditions);
    expect(c.network).toEqual({
      kind: 'cellular',
      interface: 'wwan0',
      generation: '4g',
      metered: true,
      roaming: true,
      connectivity: 'full',
      operator: 'Ferry Mobile',
      signalPercent: 70,
    });
    expect(c.sources).toMatchObject({ network: 'networkmanager', modem: 'modemmanager' });
  });

  it('ignores a roaming modem while the primary link is Wi-Fi', () => {
    const c = composeSnapshot(parts({ nm: nmWifi, modems: [modem()] }), defaultConfig().conditions);
    expect(c.network).toMatchObject({ kind: 'wifi', generation: null, roaming: false });
  });

  it('reports a cellular link without ModemManager with unknown generation and modem unavailable', () => {
    const c = composeSnapshot(parts({ nm: nmCell }), defaultConfig().conditions);
    expect(c.network).toMatchObject({ kind: 'cellular', generation: null, roaming: false });
    expect(c.sources.modem).toBe('unavailable');
  });

  it('applies pins for the primary interface after the readers (kind, metered, roaming)', () => {
    const config = defaultConfig().conditions;
    config.pins.interfaces.wlan0 = { metered: true };
    config.pins.interfaces.usb0 = { kind: 'cellular', roaming: false };
    expect(composeSnapshot(parts({ nm: nmWifi }), config).network.metered).toBe(true);
    const sys = { kind: 'ethernet' as const, interface: 'usb0', metered: false, links: [] };
    const c = composeSnapshot(parts({ sysNet: sys, modems: [modem()] }), config);
    expect(c.network).toMatchObject({ kind: 'cellular', metered: true, roaming: false, generation: '4g' });
    expect(c.sources).toMatchObject({ network: 'sysfs', pins: 'usb0' });
  });

  it('lets powerPreference pick between UPower and sysfs, falling back to whichever answers', () => {
    const config = defaultConfig().conditions;
    const upower = { source: 'battery' as const, batteryPercent: 40, charging: false };
    const sysPower = { source: 'external' as const, batteryPercent: 41, charging: true };
    expect(composeSnapshot(parts({ upower, sysPower }), config).power).toEqual(upower);
    config.powerPreference = 'sysfs';
    expect(composeSnapshot(parts({ upower, sysPower }), config).power).toEqual(sysPower);
    const c = composeSnapshot(parts({ upower }), config);
    expect([c.power, c.sources.power]).toEqual([upower, 'upower']);
    expect(composeSnapshot(parts(), config).sources.power).toBe('unavailable');
  });

  it('reports network unavailable as none, and the data plan of the primary interface', () => {
    const none = composeSnapshot(parts(), defaultConfig().conditions);
    expect([none.network.kind, none.sources.network, none.dataPlan.state, none.sources.dataPlan]).toEqual(['none', 'unavailable', 'ok', 'none']);
    const plan = composeSnapshot(
      parts({ nm: nmCell, dataPlan: (i) => (i === 'wwan0' ? { state: 'over', usedBytes: 9, limitBytes: 8, interface: i } : null) }),
      defaultConfig().conditions,
    );
    expect([plan.dataPlan.state, plan.sources.dataPlan]).toEqual(['over', 'sysfs']);
  });

  it('treats snapshots differing only in byte counts as the same', () => {
    const config = defaultConfig().conditions;
    const a = composeSnapshot(parts({ nm: nmWifi }), config);
    const b = composeSnapshot(parts({ nm: nmWifi, storage: { freeBytes: 4e9, low: false } }), config);
    const c = composeSnapshot(parts({ nm: nmWifi, storage: { freeBytes: 4e9, low: true } }), config);
    expect(sameConditions(a, b)).toBe(true);
    expect(sameConditions(a, c)).toBe(false);
  });
});
