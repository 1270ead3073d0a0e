// Live conditions end to end, cellular side: ModemManager says roaming or 2G while cellular is the primary
// NetworkManager connection, and the real ferryd pauses (and later resumes) the right running transfers.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startOrigin, type FileRoute, type Origin } from '../support/origin.js';
import { codes, sceneUnavailableReason, startScene, type Scene } from './conditions-scene.js';
import { prerequisite } from '../support/prerequisites.js';

const skip = prerequisite('conditions-cellular scenarios', sceneUnavailableReason());

const MiB = 1024 * 1024;

describe.skipIf(skip !== null)('live conditions: cellular (real ferryd, ModemManager mock)', () => {
  let scene: Scene;
  let origin: Origin;
  let n = 0;

  beforeAll(async () => {
    origin = await startOrigin();
    scene = await startScene({
      network: { primary: 'cellular' },
      modems: [{ netPort: 'wwan0', accessTech: '4g' }],
      // Downloads start before their size is known; the scenarios are about the link, not about sizes.
      policy: { unknownSize: 'allow' },
    });
  }, 60_000);
  afterAll(async () => {
    await scene?.stop();
    await origin?.close();
  });
  beforeEach(async () => {
    await scene.mm!.setRoaming(false);
    await scene.mm!.setAccessTech('4g');
    await scene.waitConditions((c) => c.network.kind === 'cellular' && c.network.generation === '4g' && !c.network.roaming, 'home LTE');
  });

  /** A throttled 8 MB download on cellular, running with its first bytes in. */
  async function running(extra: Record<string, unknown> = {}): Promise<{ id: string; route: FileRoute; path: string; size: number }> {
    const path = `/cell-${++n}.bin`;
    const content = randomBytes(8 * MiB);
    const route = origin.file(path, content, { throttleBytesPerSec: 1 * MiB });
    const t = await scene.add({ url: origin.url(path), path: `cell${path}`, preferences: 'allowCellularAndBattery', ...extra });
    await scene.agent.waitTransfer(t.id, (x) => x.state === 'running' && x.bytesTransferred > 0, 10_000, 'running');
    return { id: t.id, route, path, size: content.length };
  }

  it('pauses every transfer, user-initiated too, while the modem roams, and resumes them from their offsets after', async () => {
    const bg = await running();
    const ui = await running({ userInitiated: true });

    await scene.mm!.setRoaming(true);
    const c = await scene.waitConditions((c) => c.network.roaming === true, 'roaming');
    expect(c.network).toMatchObject({ kind: 'cellular', interface: 'wwan0', generation: '4g' });
    const paused = [];
    for (const t of [bg, ui]) {
      const p = await scene.agent.waitTransfer(t.id, (x) => x.state === 'waiting', 5000, 'paused by roaming');
      expect(codes(p)).toEqual(['roaming']);
      paused.push(p);
    }

    await scene.mm!.setRoaming(false);
    for (const t of [bg, ui]) t.route.throttleBytesPerSec = null;
    for (const [i, t] of [bg, ui].entries()) {
      const done = await scene.agent.waitTransfer(t.id, (x) => x.state === 'completed', 20_000, 'completed');
      expect(done.bytesTransferred).toBe(t.size);
      const last = origin.log.filter((e) => e.path === t.path).at(-1)!;
      expect(last.rangeStart ?? 0).toBe(paused[i].bytesTransferred);
      expect(origin.bytesSent(t.path) - t.size).toBeLessThan(1 * MiB);
    }
  });

  it('on a 2G fallback keeps only user-initiated transfers running', async () => {
    const bg = await running();
    const ui = await running({ userInitiated: true });

    await scene.mm!.setAccessTech('2g');
    await scene.waitConditions((c) => c.network.generation === '2g', '2G');
    const held = await scene.agent.waitTransfer(bg.id, (x) => x.state === 'waiting', 5000, 'background held');
    expect(codes(held)).toEqual(['slow-network-2g']);
    const late = await scene.add({ url: origin.url(bg.path), path: 'cell/late.bin', preferences: 'allowCellularAndBattery' });
    expect(codes(await scene.agent.waitTransfer(late.id, (x) => x.state === 'waiting', 5000, 'new background held'))).toEqual(['slow-network-2g']);

    // The user-initiated one was never interrupted: same attempt, through to the end.
    ui.route.throttleBytesPerSec = null;
    const done = await scene.agent.waitTransfer(ui.id, (x) => x.state === 'completed', 20_000, 'user-initiated completed on 2G');
    expect(done.attempts).toBe(1);
    expect(origin.log.filter((e) => e.path === ui.path)).toHaveLength(1);
    expect((await scene.agent.transfer(bg.id)).state).toBe('waiting');

    await scene.mm!.setAccessTech('3g');
    bg.route.throttleBytesPerSec = null;
    for (const id of [bg.id, late.id]) await scene.agent.waitTransfer(id, (x) => x.state === 'completed', 20_000, 'background completed on 3G');
  });
});
