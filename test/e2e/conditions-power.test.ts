// Live conditions end to end, power side: mains unplugged in the middle of a 50 MB tus upload pauses it
// (over the 20 MB battery upload cap), plugging back in resumes it from the server's offset. Power is
// read from the sysfs fixture (`powerPreference: "sysfs"`) while a UPower mock keeps saying "mains", so the
// preference is what decides; UPower as the power source is exercised in conditions-network.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTusOrigin, type TusOrigin } from '../support/tus-origin.js';
import { startThrottleProxy, type ThrottleProxy } from '../support/throttle-proxy.js';
import { codes, sceneUnavailableReason, startScene, type Scene } from './conditions-scene.js';
import { prerequisite } from '../support/prerequisites.js';

const skip = prerequisite('conditions-power scenarios', sceneUnavailableReason());

const MiB = 1024 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe.skipIf(skip !== null)('live conditions: power (real ferryd, sysfs power supplies)', () => {
  let scene: Scene;
  let tus: TusOrigin;
  let proxy: ThrottleProxy;

  beforeAll(async () => {
    tus = await startTusOrigin();
    proxy = await startThrottleProxy({ port: Number(new URL(tus.url).port) }, 8 * MiB);
    scene = await startScene({
      network: { primary: 'ethernet' },
      upower: { onBattery: false },
      sysfs: (fx) => {
        fx.addSupply('AC', { type: 'Mains', online: true });
        fx.addSupply('BAT0', { type: 'Battery', capacity: 80, status: 'Charging' });
      },
      conditions: { powerPreference: 'sysfs' },
    });
  }, 60_000);
  afterAll(async () => {
    await scene?.stop();
    await proxy?.close();
    await tus?.close();
  });

  it('pauses a 50 MB tus upload when mains is unplugged and resumes it from the server offset when plugged back', async () => {
    const c = await scene.waitConditions((c) => c.power.source === 'external' && c.power.charging, 'on mains');
    expect(c.sources.power).toBe('sysfs');
    const content = randomBytes(50 * MiB);
    mkdirSync(join(scene.agent.root, 'up'), { recursive: true });
    writeFileSync(join(scene.agent.root, 'up', 'big.bin'), content);
    const t = await scene.add({ url: proxy.url('/files'), method: 'POST', direction: 'upload', protocol: 'tus', path: 'up/big.bin' });
    await scene.agent.waitTransfer(t.id, (x) => x.state === 'running' && x.bytesTransferred > 5 * MiB, 20_000, 'upload past 5 MB');

    scene.fx.setSupply('AC', { online: false });
    scene.fx.setSupply('BAT0', { status: 'Discharging' });
    const onBattery = await scene.waitConditions((c) => c.power.source === 'battery', 'unplugged');
    expect(onBattery.power).toEqual({ source: 'battery', batteryPercent: 80, charging: false });
    const paused = await scene.agent.waitTransfer(t.id, (x) => x.state === 'waiting', 5000, 'upload paused');
    expect(codes(paused)).toEqual(['too-large-for-battery']);
    expect(paused.reasons[0].message).toMatch(/50 MB is over the 20 MB upload cap on battery/);
    const patchesBefore = tus.log.filter((e) => e.method === 'PATCH').length;
    const receivedBefore = tus.log.filter((e) => e.method === 'PATCH').reduce((n, e) => n + e.bytesReceived, 0);
    // The client had handed more than 5 MB to the socket; kernel buffers on the way held some of it.
    expect(receivedBefore).toBeGreaterThan(1 * MiB);
    expect(receivedBefore).toBeLessThan(content.length);

    const stillPaused = await scene.agent.transfer(t.id);
    expect(stillPaused.state).toBe('waiting');

    scene.fx.setSupply('AC', { online: true });
    scene.fx.setSupply('BAT0', { status: 'Charging' });
    await scene.waitConditions((c) => c.power.source === 'external', 'plugged back');
    proxy.setRate(null);
    const done = await scene.agent.waitTransfer(t.id, (x) => x.state === 'completed', 30_000, 'upload completed');
    expect(done.bytesTransferred).toBe(content.length);

    // The server's side of the story: the resumed PATCH starts where the stored bytes end (asked by HEAD),
    // so almost nothing crosses the link twice.
    const patches = tus.log.filter((e) => e.method === 'PATCH');
    expect(patches.length).toBeGreaterThan(patchesBefore);
    const resumed = patches[patchesBefore]!;
    // Bytes still in flight when the client stopped kept arriving for a moment, as on a real link.
    const receivedFirst = patches.slice(0, patchesBefore).reduce((n, e) => n + e.bytesReceived, 0);
    expect(resumed.uploadOffset).toBeGreaterThanOrEqual(receivedBefore - 64 * 1024);
    expect(resumed.uploadOffset).toBeLessThanOrEqual(receivedFirst);
    // While paused, the progress shown never claimed more than the server had (tus: confirmed offsets only).
    expect(stillPaused.bytesTransferred).toBeLessThanOrEqual(resumed.uploadOffset!);
    expect(tus.log.slice(0, tus.log.indexOf(resumed)).some((e) => e.method === 'HEAD')).toBe(true);
    const resent = patches.reduce((n, e) => n + e.bytesReceived, 0) - content.length;
    expect(resent).toBeLessThan(1 * MiB);
    const [stored] = readdirSync(tus.dir).filter((f) => !f.endsWith('.json'));
    expect(sha(readFileSync(join(tus.dir, stored!)))).toBe(sha(content));
  });
});
