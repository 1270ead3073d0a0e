// Live conditions end to end, network side: the real ferryd reads NetworkManager, ModemManager and UPower
// mocks on a private bus (plus a sysfs fixture), and re-decides queued and running transfers as they change.
// Power comes from UPower here (the config's default preference); conditions-power covers sysfs power.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOrigin, type Origin } from '../support/origin.js';
import { codes, sceneUnavailableReason, startScene, type Scene } from './conditions-scene.js';
import { prerequisite } from '../support/prerequisites.js';

const skip = prerequisite('conditions-network scenarios', sceneUnavailableReason());

const MiB = 1024 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe.skipIf(skip !== null)('live conditions: network (real ferryd, private D-Bus)', () => {
  let scene: Scene;
  let origin: Origin;

  beforeAll(async () => {
    origin = await startOrigin();
    scene = await startScene({
      network: { primary: 'cellular' },
      modems: [{ netPort: 'wwan0', accessTech: '4g' }],
      upower: { onBattery: true, battery: { percent: 62, state: 'discharging' } },
      // What the kernel shows if NetworkManager goes away: a Wi-Fi link that is up.
      sysfs: (fx) => fx.addNet('wlan0', { kind: 'wifi' }),
      // The agent never learns a download's size before it runs (see the report): without this, a
      // download on battery would wait with `unknown-size` even on Wi-Fi.
      policy: { unknownSize: 'allow' },
    });
  }, 60_000);
  afterAll(async () => {
    await scene?.stop();
    await origin?.close();
  });

  it('holds a 30 MB download on LTE at 62 % battery with needs-wifi, and starts it when Wi-Fi becomes primary', async () => {
    const c = await scene.waitConditions(
      (c) => c.network.kind === 'cellular' && c.network.generation === '4g' && c.power.batteryPercent === 62,
      'LTE on battery',
    );
    expect(c.power).toMatchObject({ source: 'battery', charging: false });
    expect(c.sources).toMatchObject({ network: 'networkmanager', modem: 'modemmanager', power: 'upower' });

    const a = randomBytes(30 * MiB);
    const b = randomBytes(30 * MiB);
    const ra = origin.file('/a.bin', a, { throttleBytesPerSec: 2 * MiB });
    const rb = origin.file('/b.bin', b, { throttleBytesPerSec: 2 * MiB });
    // A: default preferences (allowBattery) never touch cellular.
    const ta = await scene.add({ url: origin.url('/a.bin'), path: 'wifi/a.bin', sha256: sha(a) });
    // B: may use cellular, but once its 30 MB size is known it is over the 20 MB cap: WP8 switches it to Wi-Fi.
    const tb = await scene.add({ url: origin.url('/b.bin'), path: 'wifi/b.bin', sha256: sha(b), preferences: 'allowCellularAndBattery' });

    const waitingA = await scene.agent.waitTransfer(ta.id, (t) => t.state === 'waiting', 10_000, 'A waiting');
    expect(codes(waitingA)).toEqual(['needs-wifi']);
    expect(waitingA.bytesTransferred).toBe(0);
    const waitingB = await scene.agent.waitTransfer(tb.id, (t) => t.state === 'waiting' && codes(t).includes('needs-wifi'), 10_000, 'B over the cap');
    expect(waitingB.reasons[0].message).toMatch(/30 MB is over the 20 MB cellular cap/);
    expect(waitingB.preferences).toBe('allowBattery');
    expect(waitingB.totalBytes).toBe(30 * MiB);
    expect(waitingB.bytesTransferred).toBeLessThan(20 * MiB);
    expect(origin.log.filter((e) => e.path === '/a.bin')).toHaveLength(0);

    await scene.nm.setPrimary('wifi');
    await scene.waitConditions((c) => c.network.kind === 'wifi' && c.network.interface === 'wlan0', 'Wi-Fi primary');
    await scene.agent.waitTransfer(ta.id, (t) => t.state === 'running', 10_000, 'A running on Wi-Fi');
    await scene.agent.waitTransfer(tb.id, (t) => t.state === 'running' || t.state === 'completed', 10_000, 'B running on Wi-Fi');
    ra.throttleBytesPerSec = null;
    rb.throttleBytesPerSec = null;
    for (const t of [ta, tb]) await scene.agent.waitTransfer(t.id, (x) => x.state === 'completed', 30_000, 'completed');

    expect(sha(readFileSync(join(scene.agent.root, 'wifi/a.bin')))).toBe(sha(a));
    expect(sha(readFileSync(join(scene.agent.root, 'wifi/b.bin')))).toBe(sha(b));
    // B picked up where it stopped on cellular instead of fetching those bytes again.
    const bReqs = origin.log.filter((e) => e.path === '/b.bin' && e.method === 'GET');
    expect(bReqs.at(-1)!.rangeStart ?? 0).toBe(waitingB.bytesTransferred);
    expect(origin.bytesSent('/b.bin') - b.length).toBeLessThan(2 * MiB);
  });

  it('pauses a transfer constrained to unmetered networks when the link turns metered, and resumes it after', async () => {
    await scene.nm.setPrimary('wifi', 'no');
    await scene.waitConditions((c) => c.network.kind === 'wifi' && c.network.metered === false, 'unmetered Wi-Fi');
    const content = randomBytes(8 * MiB);
    const route = origin.file('/m.bin', content, { throttleBytesPerSec: 1 * MiB });
    const tc = await scene.add({ url: origin.url('/m.bin'), path: 'metered/c.bin', constraints: { unmetered: true } });
    await scene.agent.waitTransfer(tc.id, (t) => t.state === 'running' && t.bytesTransferred > 0, 10_000, 'C running');

    await scene.nm.setMetered('yes');
    await scene.waitConditions((c) => c.network.metered === true, 'metered Wi-Fi');
    const paused = await scene.agent.waitTransfer(tc.id, (t) => t.state === 'waiting', 5000, 'C paused');
    expect(codes(paused)).toEqual(['metered']);
    const td = await scene.add({ url: origin.url('/m.bin'), path: 'metered/d.bin', constraints: { unmetered: true } });
    const heldD = await scene.agent.waitTransfer(td.id, (t) => t.state === 'waiting', 5000, 'D held');
    expect(codes(heldD)).toEqual(['metered']);
    // A transfer without the constraint is not held by it.
    const te = await scene.add({ url: origin.url('/m.bin'), path: 'metered/e.bin' });
    await scene.agent.waitTransfer(te.id, (t) => t.state === 'running' || t.state === 'completed', 5000, 'E runs');

    await scene.nm.setMetered('no');
    route.throttleBytesPerSec = null;
    for (const t of [tc, td, te]) {
      const done = await scene.agent.waitTransfer(t.id, (x) => x.state === 'completed', 30_000, 'completed');
      expect(done.bytesTransferred).toBe(content.length);
    }
  });

  it('keeps answering while NetworkManager is gone, falls back to sysfs, and picks NetworkManager up again', async () => {
    await scene.nm.setPrimary('ethernet');
    await scene.waitConditions((c) => c.network.kind === 'ethernet' && c.sources.network === 'networkmanager', 'ethernet via NM');
    const pid = scene.agent.child!.pid;

    await scene.nm.stop();
    const fallback = await scene.waitConditions((c) => c.sources.network !== 'networkmanager', 'NM gone');
    expect(fallback.sources.network).toBe('sysfs');
    expect(fallback.network).toMatchObject({ kind: 'wifi', interface: 'wlan0', metered: false });
    expect((await scene.agent.api('GET', '/v1/health')).body.status).toBe('ok');

    // And when sysfs has no link up either, work waits for a network instead of failing.
    scene.fx.setOperstate('wlan0', 'down');
    await scene.waitConditions((c) => c.network.kind === 'none', 'no link at all');
    const content = randomBytes(1 * MiB);
    origin.file('/n.bin', content);
    const tf = await scene.add({ url: origin.url('/n.bin'), path: 'nm/f.bin' });
    const held = await scene.agent.waitTransfer(tf.id, (t) => t.state === 'waiting', 5000, 'F held');
    expect(codes(held)).toEqual(['no-network']);

    await scene.nm.start();
    await scene.waitConditions((c) => c.sources.network === 'networkmanager' && c.network.kind === 'ethernet', 'NM back');
    await scene.agent.waitTransfer(tf.id, (t) => t.state === 'completed', 15_000, 'F completed');
    expect(scene.agent.child!.exitCode).toBeNull();
    expect(scene.agent.child!.pid).toBe(pid);
    expect(scene.agent.logs).toMatch(/NetworkManager unavailable/);
    expect(scene.agent.logs).toMatch(/NetworkManager available again/);
  });
});
