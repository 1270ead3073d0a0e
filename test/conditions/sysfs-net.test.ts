import { afterEach, describe, expect, it } from 'vitest';
import { createSysfsFixture, type SysfsFixture } from '../support/sysfs.js';
import { readSysfsNet } from '../../src/conditions/sysfs-net.js';

describe('readSysfsNet', () => {
  let fx: SysfsFixture;
  afterEach(() => fx.cleanup());

  it('is null when /sys/class/net is missing', async () => {
    fx = createSysfsFixture({ withNet: false });
    expect(await readSysfsNet(fx.root)).toBeNull();
  });

  it('skips loopback and virtual links, and reports none when nothing physical is up', async () => {
    fx = createSysfsFixture();
    fx.addNet('lo', { kind: 'loopback', operstate: 'unknown' });
    fx.addNet('docker0', { kind: 'virtual' });
    fx.addNet('eth0', { kind: 'ethernet', operstate: 'down' });
    const r = await readSysfsNet(fx.root);
    expect(r).toMatchObject({ kind: 'none', interface: null, metered: false });
    expect(r?.links.map((l) => l.name)).toEqual(['eth0']);
  });

  it('tells wifi (wireless/), cellular (DEVTYPE=wwan, raw IP) and ethernet apart', async () => {
    fx = createSysfsFixture();
    fx.addNet('wlan0', { kind: 'wifi' });
    fx.addNet('wwan0', { kind: 'wwan' });
    fx.addNet('wwan1', { kind: 'rawip', operstate: 'unknown' });
    fx.addNet('end0', { kind: 'ethernet' });
    const r = await readSysfsNet(fx.root);
    expect(Object.fromEntries(r!.links.map((l) => [l.name, l.kind]))).toEqual({ end0: 'ethernet', wlan0: 'wifi', wwan0: 'cellular', wwan1: 'cellular' });
  });

  it('prefers ethernet, then wifi, then cellular, following links going down while it runs', async () => {
    fx = createSysfsFixture();
    fx.addNet('eth0', { kind: 'ethernet' });
    fx.addNet('wlan0', { kind: 'wifi' });
    fx.addNet('wwan0', { kind: 'wwan' });
    expect(await readSysfsNet(fx.root)).toMatchObject({ kind: 'ethernet', interface: 'eth0', metered: false });
    fx.setOperstate('eth0', 'down');
    expect(await readSysfsNet(fx.root)).toMatchObject({ kind: 'wifi', interface: 'wlan0', metered: false });
    fx.setOperstate('wlan0', 'dormant');
    expect(await readSysfsNet(fx.root)).toMatchObject({ kind: 'cellular', interface: 'wwan0', metered: true });
  });

  it('counts a PPP link in operstate unknown with IFF_UP and carrier as an up cellular link', async () => {
    fx = createSysfsFixture();
    fx.addNet('ppp0', { kind: 'ppp', operstate: 'unknown' });
    expect(await readSysfsNet(fx.root)).toMatchObject({ kind: 'cellular', interface: 'ppp0' });
    fx.setOperstate('ppp0', 'down');
    expect((await readSysfsNet(fx.root))?.kind).toBe('none');
  });
});
