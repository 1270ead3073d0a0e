// Device sync survives the worst: ferryd SIGKILLed mid-pull and mid-image-upload resumes from the last
// confirmed offset after a restart (the simulator's request log shows the offsets continue), and an
// unplugged device holds its job with device-disconnected until a new pty appears at the same path.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess } from '../support/agent.js';
import { makeTempDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';
import type { SimRequest } from '../support/smp-sim/smp-device-sim.js';
import { SerialDeviceBench } from '../sync/serial-device-bench.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const bytes = (n: number) => new Uint8Array(randomBytes(n));
const isFinished = (t: any) => ['completed', 'failed', 'cancelled'].includes(t.state);
const fsReads = (r: SimRequest) => r.header.group === 8 && r.header.id === 0 && r.header.op === 0;
const imageWrites = (r: SimRequest) => r.header.group === 1 && r.header.id === 1 && r.header.op === 2;
const off = (r: SimRequest) => Number(r.body.off);

describe('device sync resume', () => {
  const dir = makeTempDir('ferry-devres-');
  let bench: SerialDeviceBench;
  let agent: AgentProcess;
  const data = bytes(30_000);
  const image = bytes(24_000);

  beforeAll(async () => {
    // Slow enough that a kill lands mid-transfer: every answer waits 25 ms.
    bench = await SerialDeviceBench.start(dir.path, 'dev', { delayMs: 25 });
    bench.sim.files.set('/lfs/data.bin', data);
    agent = new AgentProcess({
      devices: [
        {
          id: 'dev',
          transport: { kind: 'serial', path: bench.link, presencePollMs: 200 },
          pull: [{ remote: '/lfs/data.bin' }],
          push: [{ type: 'image', local: 'fw/app.bin' }],
          when: { onConnect: false },
          smp: { timeoutMs: 1000 },
          retry: { initialDelayS: 0.2, maxDelayS: 1 },
        },
      ],
    });
    await agent.start();
  }, 30_000);

  afterAll(async () => {
    if (process.env.FERRY_TEST_LOGS) console.log(agent?.logs);
    await agent?.stop();
    await bench?.close();
    dir.cleanup();
  });

  it('resumes a pull from the last confirmed offset after SIGKILL and finishes with a matching hash', async () => {
    const r = await agent.api('POST', '/v1/devices/dev/sync', {});
    const id = r.body.transfers.find((t: any) => t.direction === 'download').id;
    await waitFor(() => bench.sim.requests.some((q) => fsReads(q) && off(q) >= 8000), 20_000, 'pull past 8000 bytes');
    await agent.kill('SIGKILL');
    const killedAt = bench.sim.requests.length;
    const before = bench.sim.requests.filter(fsReads).map(off);
    await agent.start();
    const done = await agent.waitTransfer(id, isFinished, 40_000);
    expect(done.state).toBe('completed');
    expect(sha(readFileSync(join(agent.root, 'devices/dev/data.bin')))).toBe(sha(data));
    const after = bench.sim.requests.slice(killedAt).filter(fsReads).map(off);
    expect(after[0]).toBeGreaterThan(0);
    expect(after[0]).toBeLessThanOrEqual(Math.max(...before) + 200);
    expect(done.device.result.resumedFrom).toBe(after[0]);
    // One pass over the rest of the file: offsets only go up.
    expect(after).toEqual([...after].sort((a, b) => a - b));
    expect(new Set(after).size).toBe(after.length);
  });

  it('resumes an image upload from the device-confirmed offset after SIGKILL, then tests, resets and confirms', async () => {
    mkdirSync(join(agent.root, 'fw'), { recursive: true });
    writeFileSync(join(agent.root, 'fw/app.bin'), image);
    const r = await agent.api('POST', '/v1/devices/dev/sync', {});
    const id = r.body.transfers.find((t: any) => t.direction === 'upload').id;
    await waitFor(() => (bench.sim.imageUpload?.off ?? 0) >= 8000, 20_000, 'image upload past 8000 bytes');
    await agent.kill('SIGKILL');
    const killedAt = bench.sim.requests.length;
    const deviceOffset = bench.sim.imageUpload!.off;
    await agent.start();
    const done = await agent.waitTransfer(id, isFinished, 40_000);
    expect(done.error).toBeNull();
    expect(done.device.result).toMatchObject({ stage: 'confirmed', imageHash: sha(image) });
    const after = bench.sim.requests.slice(killedAt).filter(imageWrites).map(off);
    // The device's offset is the truth. The new agent continues at its last checkpoint, or, when the
    // kill came before the first (throttled) checkpoint, opens once with off 0 + sha and the device
    // answers where it stands; either way no image data below the device's offset goes again.
    const chunks = after.filter((o) => o > 0);
    expect(after.length - chunks.length).toBeLessThanOrEqual(1);
    if (after[0] === 0) expect(chunks[0]).toBeGreaterThanOrEqual(deviceOffset);
    else expect(chunks[0]).toBeLessThanOrEqual(deviceOffset); // a checkpoint is never ahead of the device
    expect(chunks).toEqual([...chunks].sort((a, b) => a - b)); // one pass over the rest
    const active = bench.sim.images.find((s) => s.active)!;
    expect(sha(active.data!)).toBe(sha(image));
    expect(active.confirmed).toBe(true);
  });

  it('waits with device-disconnected when the device is unplugged mid-pull and resumes on replug', async () => {
    bench.sim.files.set('/lfs/data.bin', (data.reverse(), data));
    const r = await agent.api('POST', '/v1/devices/dev/sync', {});
    const id = r.body.transfers.find((t: any) => t.direction === 'download').id;
    await agent.waitTransfer(id, (t) => t.state === 'running' && t.bytesTransferred >= 4000, 20_000, 'pull under way');
    await bench.unplug();
    const waiting = await agent.waitTransfer(id, (t) => t.state === 'waiting', 10_000, 'waiting after unplug');
    expect(waiting.reasons.map((x: any) => x.code)).toContain('device-disconnected');
    const dev = (await agent.api('GET', '/v1/devices')).body.devices[0];
    expect(dev).toMatchObject({ id: 'dev', state: 'absent' });
    const replugAt = bench.sim.requests.length;
    await bench.replug();
    const done = await agent.waitTransfer(id, isFinished, 40_000);
    expect(done.state).toBe('completed');
    expect(sha(readFileSync(join(agent.root, 'devices/dev/data.bin')))).toBe(sha(data));
    const after = bench.sim.requests.slice(replugAt).filter(fsReads).map(off);
    expect(after[0]).toBeGreaterThan(0);
  });
});
