// Live conditions end to end, data plan: wwan0's kernel byte counters (a sysfs fixture) grow past the
// configured monthly allowance while cellular is primary; the real ferryd stops background work with
// `over-data-plan` and lets user-initiated work carry on.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOrigin, type FileRoute, type Origin } from '../support/origin.js';
import { codes, sceneUnavailableReason, startScene, type Scene } from './conditions-scene.js';
import { prerequisite } from '../support/prerequisites.js';

const skip = prerequisite('conditions-data-plan scenarios', sceneUnavailableReason());

const MiB = 1024 * 1024;
const PLAN = 100 * MiB;
// Counters as the kernel had them before this plan period: usage is counted from the agent's first look.
const RX0 = 3_000_000_000;
const TX0 = 400_000_000;

describe.skipIf(skip !== null)('live conditions: data plan (real ferryd, sysfs byte counters)', () => {
  let scene: Scene;
  let origin: Origin;

  beforeAll(async () => {
    origin = await startOrigin();
    scene = await startScene({
      network: { primary: 'cellular' },
      modems: [{ netPort: 'wwan0', accessTech: '4g' }],
      sysfs: (fx) => fx.addNet('wwan0', { kind: 'wwan', rx: RX0, tx: TX0 }),
      conditions: { dataPlan: { interfaces: { wwan0: { monthlyBytes: PLAN } } } },
      policy: { unknownSize: 'allow' },
    });
  }, 60_000);
  afterAll(async () => {
    await scene?.stop();
    await origin?.close();
  });

  async function running(name: string, extra: Record<string, unknown> = {}): Promise<{ id: string; route: FileRoute }> {
    const route = origin.file(`/${name}`, randomBytes(8 * MiB), { throttleBytesPerSec: 1 * MiB });
    const t = await scene.add({ url: origin.url(`/${name}`), path: `plan/${name}`, preferences: 'allowCellularAndBattery', ...extra });
    await scene.agent.waitTransfer(t.id, (x) => x.state === 'running' && x.bytesTransferred > 0, 10_000, `${name} running`);
    return { id: t.id, route };
  }

  it('stops background work once the plan is used up, keeps user-initiated work going, and frees it on Wi-Fi', async () => {
    const c = await scene.waitConditions((c) => c.dataPlan.limitBytes === PLAN, 'plan known');
    expect(c.dataPlan).toMatchObject({ state: 'ok', usedBytes: 0, interface: 'wwan0' });
    expect(c.sources.dataPlan).toBe('sysfs');
    const bg = await running('bg.bin');
    const ui = await running('ui.bin', { userInitiated: true });

    // 92 % used: approaching, and approaching changes nothing.
    scene.fx.setCounters('wwan0', RX0 + 90 * MiB, TX0 + 2 * MiB);
    await scene.waitConditions((c) => c.dataPlan.state === 'approaching', 'approaching');
    for (const t of [bg, ui]) expect((await scene.agent.transfer(t.id)).state).toBe('running');

    // 101 % used: over.
    scene.fx.setCounters('wwan0', RX0 + 95 * MiB, TX0 + 6 * MiB);
    const over = await scene.waitConditions((c) => c.dataPlan.state === 'over', 'over');
    expect(over.dataPlan.usedBytes).toBe(101 * MiB);
    const held = await scene.agent.waitTransfer(bg.id, (x) => x.state === 'waiting', 5000, 'background held');
    expect(codes(held)).toEqual(['over-data-plan']);
    const late = await scene.add({ url: origin.url('/bg.bin'), path: 'plan/late.bin', preferences: 'allowCellularAndBattery' });
    expect(codes(await scene.agent.waitTransfer(late.id, (x) => x.state === 'waiting', 5000, 'new background held'))).toEqual(['over-data-plan']);

    ui.route.throttleBytesPerSec = null;
    const done = await scene.agent.waitTransfer(ui.id, (x) => x.state === 'completed', 20_000, 'user-initiated completed');
    expect(done.attempts).toBe(1);
    expect((await scene.agent.transfer(bg.id)).state).toBe('waiting');

    // The plan belongs to the cellular link: on Wi-Fi the held work goes.
    await scene.nm.setPrimary('wifi');
    await scene.waitConditions((c) => c.network.kind === 'wifi' && c.dataPlan.state === 'ok', 'Wi-Fi, no plan');
    bg.route.throttleBytesPerSec = null;
    for (const id of [bg.id, late.id]) await scene.agent.waitTransfer(id, (x) => x.state === 'completed', 20_000, 'completed on Wi-Fi');
  });
});
