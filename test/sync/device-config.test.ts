// The devices config: defaults filled by the schema, unknown keys named, and the cross-field rules,
// transport descriptions, local paths and upload URL templates of device-config.ts.
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import type { DeviceConfig } from '../../src/config/sections/devices.js';
import { describeTransport, deviceProblems, deviceUrl, expandUploadUrl, pullLocalPath, spoolDir } from '../../src/sync/device-config.js';

function devices(list: unknown[]): DeviceConfig[] {
  const r = validateConfig({ devices: list });
  if (!r.config) throw new Error(JSON.stringify(r.issues));
  return r.config.devices;
}

describe('devices config', () => {
  it('fills defaults: smp, 3 min budget, on connect and on demand, sha256-or-crc32 checks', () => {
    const [d] = devices([{ id: 'gw-1', transport: { kind: 'serial', path: '/dev/ttyACM0' }, pull: [{ remote: '/lfs/log.bin' }] }]);
    expect(d).toMatchObject({
      protocol: 'smp',
      budgetS: 180,
      when: { onConnect: true, everyMinutes: null, onDemand: true },
      transport: { baud: 115200, lineLength: 127 },
      pull: [{ remote: '/lfs/log.bin', hash: 'auto', skipUnchanged: true }],
      push: [],
      lines: { rotateBytes: 1024 * 1024, rotateSeconds: 3600 },
    });
  });

  it('names unknown keys and bad values by their path', () => {
    const r = validateConfig({ devices: [{ id: 'x', transport: { kind: 'serial', paht: '/dev/x' }, budgetS: 0 }] });
    expect(r.issues).toEqual(expect.arrayContaining([
      { path: 'devices[0].transport.paht', message: 'unknown key' },
      expect.objectContaining({ path: 'devices[0].budgetS' }),
    ]));
    expect(validateConfig({ devices: [{ id: '../x', transport: { kind: 'udp', host: 'h' } }] }).issues[0]!.path).toBe('devices[0].id');
  });

  it('reports what the schema cannot: missing addresses, duplicate ids, lines on a non-serial link', () => {
    const list = devices([
      { id: 'a', transport: { kind: 'serial' } },
      { id: 'b', transport: { kind: 'udp', host: '192.0.2.1' } },
      { id: 'b', transport: { kind: 'udp', host: '192.0.2.2' } },
      { id: 'c', protocol: 'lines', transport: { kind: 'ble', name: 'tag' } },
      { id: 'd', transport: { kind: 'usb', vid: '2fe3' }, push: [{ local: 'x.bin' }] },
      { id: 'e', transport: { kind: 'ble', address: 'AA:BB:CC:DD:EE:FF' } },
    ]);
    const p = deviceProblems(list);
    expect(p.get('a')).toMatch(/needs "path" or a USB "vid"/);
    expect(p.get('b')).toMatch(/configured twice/);
    expect(p.get('c')).toMatch(/lines protocol needs a serial transport/);
    expect(p.get('d')).toMatch(/file push needs "remote"/);
    expect(p.has('e')).toBe(false);
  });

  it('describes transports and derives paths and URLs', () => {
    const [s, u, b, usb] = devices([
      { id: 's', transport: { kind: 'serial', vid: '2fe3', pid: '0100' } },
      { id: 'u', transport: { kind: 'udp', host: '192.0.2.7' } },
      { id: 'b', transport: { kind: 'ble', name: 'tag' } },
      { id: 'usb', transport: { kind: 'usb', vid: '2fe3', pid: '0100', serial: 'SN1' } },
    ]);
    expect([s, u, b, usb].map((d) => describeTransport(d!.transport))).toEqual([
      'serial:usb=2fe3:0100', 'udp:192.0.2.7:1337', 'ble:name=tag', 'usb:2fe3:0100:SN1',
    ]);
    expect(pullLocalPath('s', { remote: '/lfs/logs/today.csv', hash: 'auto', skipUnchanged: true })).toBe('devices/s/today.csv');
    expect(spoolDir(s!)).toBe('devices/s/spool');
    expect(expandUploadUrl('https://example.org/in/{id}/{name}', 'gw 1', 'a b.log')).toBe('https://example.org/in/gw%201/a%20b.log');
    expect(deviceUrl('s', '/lfs/a.bin')).toBe('device://s/lfs/a.bin');
  });
});
