// Device sync through the real ferryd against an SMP device simulator on a real pty: pulls land under
// devices/<id>/ checked with the device's hash and are chained to an HTTP upload, images go through
// upload → test → reset → confirm, jobs can be cancelled, and the device routes and commands answer.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess } from '../support/agent.js';
import { startOrigin, type Origin, type SinkRoute } from '../support/origin.js';
import { makeTempDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';
import { runCli } from '../cli/run-cli.js';
import { SerialDeviceBench } from '../sync/serial-device-bench.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const bytes = (n: number) => new Uint8Array(randomBytes(n));
const isFinished = (t: any) => ['completed', 'failed', 'cancelled'].includes(t.state);

describe('device sync over a serial pty', () => {
  const dir = makeTempDir('ferry-dev-');
  let bench: SerialDeviceBench;
  let slowBench: SerialDeviceBench;
  let origin: Origin;
  let sink: SinkRoute;
  let agent: AgentProcess;
  const log = bytes(9000);
  const image = bytes(6000);
  const sock = () => ['--socket', agent.socket];

  beforeAll(async () => {
    bench = await SerialDeviceBench.start(dir.path, 'sensor');
    bench.sim.files.set('/lfs/log.bin', log);
    slowBench = await SerialDeviceBench.start(dir.path, 'slow', { delayMs: 40 });
    slowBench.sim.files.set('/lfs/big.bin', bytes(40_000));
    origin = await startOrigin();
    sink = origin.sink('/up/sensor1/log.bin');
    agent = new AgentProcess({
      devices: [
        {
          id: 'sensor1',
          transport: { kind: 'serial', path: bench.link, presencePollMs: 200 },
          pull: [{ remote: '/lfs/log.bin', upload: { url: `${origin.base}/up/{id}/{name}`, headers: { 'x-token': 'secret-1' } } }],
          push: [{ type: 'image', local: 'fw/app.bin' }],
          when: { onConnect: false },
        },
        { id: 'slow', transport: { kind: 'serial', path: slowBench.link }, pull: [{ remote: '/lfs/big.bin' }], when: { onConnect: false } },
        { id: 'ghost', transport: { kind: 'serial', path: join(dir.path, 'nothing-here') }, pull: [{ remote: '/x' }] },
      ],
    });
    await agent.start();
  }, 30_000);

  afterAll(async () => {
    if (process.env.FERRY_TEST_LOGS) console.log(agent?.logs);
    await agent?.stop();
    await bench?.close();
    await slowBench?.close();
    await origin?.close();
    dir.cleanup();
  });

  it('lists configured devices with transport and presence, also in the conditions', async () => {
    const r = await agent.api('GET', '/v1/devices');
    expect(r.status).toBe(200);
    expect(r.body.devices.map((d: any) => d.id)).toEqual(['sensor1', 'slow', 'ghost']);
    expect(r.body.devices[0]).toMatchObject({ id: 'sensor1', protocol: 'smp', transport: `serial:${bench.link}`, state: 'present', activity: 'idle', lastSync: null });
    expect(r.body.devices[2]).toMatchObject({ id: 'ghost', state: 'absent', reason: expect.stringContaining('does not exist') });
    expect(r.body.seen).toEqual(expect.any(Array));
    const c = await agent.api('GET', '/v1/conditions');
    expect(c.body.devices).toMatchObject({ sensor1: { present: true, transport: 'serial' }, ghost: { present: false } });
  });

  it('ferryctl smp --device ID reaches a configured device with the transport the agent knows', async () => {
    const r = await runCli(['smp', '--device', 'sensor1', 'echo', 'via', 'agent', ...sock()]);
    expect(r).toMatchObject({ code: 0, stdout: 'via agent\n' });
    expect((await runCli(['smp', '--device', 'ghost', 'echo', 'x', ...sock()])).code).toBe(3);
    expect((await runCli(['smp', '--device', 'nope', 'echo', 'x', ...sock()])).code).toBe(2);
  });

  it('pulls a file on demand into devices/<id>/, verified with the device hash, and uploads it', async () => {
    const r = await agent.api('POST', '/v1/devices/sensor1/sync', {});
    expect(r.status).toBe(202);
    expect(r.body.transfers).toHaveLength(1); // no image to push yet
    const pull = r.body.transfers[0];
    expect(pull).toMatchObject({ kind: 'device-sync', direction: 'download', url: 'device://sensor1/lfs/log.bin', path: 'devices/sensor1/log.bin' });
    const done = await agent.waitTransfer(pull.id, isFinished, 30_000);
    expect(done.state).toBe('completed');
    expect(done.device.result).toMatchObject({ changed: true, verifiedWith: `sha256:${sha(log)}`, resumedFrom: 0 });
    expect(sha(readFileSync(join(agent.root, 'devices/sensor1/log.bin')))).toBe(sha(log));
    const upload = await agent.waitTransfer(done.device.result.upload, isFinished, 20_000, 'chained upload');
    expect(upload).toMatchObject({ state: 'completed', kind: 'http', direction: 'upload', owner: 'device-sync', path: 'devices/sensor1/log.bin' });
    expect(sha(sink.bodies.at(-1)!)).toBe(sha(log));
    // The upload carries the configured header; the job record shows its name, not its value.
    expect(origin.log.find((e) => e.method === 'PUT' && e.path === '/up/sensor1/log.bin')!.headers['x-token']).toBe('secret-1');
    expect(JSON.stringify(done)).not.toContain('secret-1');
    const dev = (await agent.api('GET', '/v1/devices')).body.devices[0];
    expect(dev.lastSync).toMatchObject({ state: 'completed', transferId: pull.id, op: 'pull', remote: '/lfs/log.bin' });
  });

  it('skips the transfer when the device file equals the local copy', async () => {
    const before = bench.sim.requests.filter((q) => q.header.group === 8 && q.header.id === 0).length;
    const r = await agent.api('POST', '/v1/devices/sensor1/sync', {});
    const done = await agent.waitTransfer(r.body.transfers[0].id, isFinished, 30_000);
    expect(done.device.result).toMatchObject({ changed: false });
    expect(done.device.result.upload).toBeUndefined();
    expect(bench.sim.requests.filter((q) => q.header.group === 8 && q.header.id === 0).length).toBe(before);
  });

  it('pushes a firmware image: upload, test, reset, confirm; the next sync does not push it again', async () => {
    mkdirSync(join(agent.root, 'fw'), { recursive: true });
    writeFileSync(join(agent.root, 'fw/app.bin'), image);
    const r = await agent.api('POST', '/v1/devices/sensor1/sync', {});
    const push = r.body.transfers.find((t: any) => t.direction === 'upload');
    expect(push).toMatchObject({ kind: 'device-sync', url: 'device://sensor1/image/0', path: 'fw/app.bin' });
    const done = await agent.waitTransfer(push.id, isFinished, 40_000);
    expect(done.error).toBeNull();
    expect(done.state).toBe('completed');
    expect(done.device.result).toMatchObject({ stage: 'confirmed', imageHash: sha(image), length: image.length });
    expect(bench.sim.resets).toBe(1);
    const active = bench.sim.images.find((s) => s.active)!;
    expect(Buffer.from(active.data!).equals(Buffer.from(image))).toBe(true);
    expect(active.confirmed).toBe(true);
    const again = await agent.api('POST', '/v1/devices/sensor1/sync', {});
    expect(again.body.transfers.some((t: any) => t.direction === 'upload')).toBe(false);
  });

  it('cancels a running sync job and drops its partial file', async () => {
    const r = await agent.api('POST', '/v1/devices/slow/sync', {});
    const id = r.body.transfers[0].id;
    await agent.waitTransfer(id, (t) => t.state === 'running' && t.bytesTransferred > 0, 20_000, 'pull under way');
    // The job's own part file, in ferry's private part folder.
    const part = join(agent.root, '.ferry-parts', `${id}.part`);
    expect(existsSync(part)).toBe(true);
    const c = await agent.api('POST', `/v1/transfers/${id}/cancel`, {});
    expect(c.body.state).toBe('cancelled');
    await waitFor(() => !existsSync(part), 5000, 'part file removed');
    expect(existsSync(join(agent.root, 'devices/slow/big.bin'))).toBe(false);
    expect((await agent.transfer(id)).state).toBe('cancelled');
  });

  it('answers errors for unknown devices and unknown fields', async () => {
    expect((await agent.api('POST', '/v1/devices/nope/sync', {})).body.error.code).toBe('DEVICE_NOT_FOUND');
    const bad = await agent.api('POST', '/v1/devices/sensor1/sync', { now: true });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'UNKNOWN_FIELD', field: 'now' } } });
  });

  it('holds a job for an absent device with device-disconnected', async () => {
    const r = await agent.api('POST', '/v1/devices/ghost/sync', {});
    const t = await agent.waitTransfer(r.body.transfers[0].id, (x) => x.state === 'waiting', 10_000);
    expect(t.reasons.map((x: any) => x.code)).toEqual(['device-disconnected']);
  });

  it('runs the held job when the device appears at its path (on connect), without queueing a second one', async () => {
    const ghost = await SerialDeviceBench.start(dir.path, 'nothing-here');
    try {
      const content = bytes(1500);
      ghost.sim.files.set('/x', content);
      const held = (await agent.api('GET', '/v1/transfers')).body.transfers.filter((t: any) => t.url === 'device://ghost/x');
      expect(held).toHaveLength(1);
      const done = await agent.waitTransfer(held[0].id, isFinished, 20_000);
      expect(done.state).toBe('completed');
      expect(sha(readFileSync(join(agent.root, 'devices/ghost/x')))).toBe(sha(content));
      const all = (await agent.api('GET', '/v1/transfers')).body.transfers.filter((t: any) => t.url === 'device://ghost/x');
      expect(all).toHaveLength(1);
    } finally {
      await ghost.close();
    }
  });

  it('ferryctl devices and ferryctl sync show and drive the same', async () => {
    const ls = await runCli(['devices', ...sock()]);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/^ID\s+PROTOCOL\s+TRANSPORT\s+STATE/);
    expect(ls.stdout).toMatch(/sensor1\s+smp\s+serial:\S+\s+present/);
    expect(ls.stdout).toMatch(/ghost\s+smp\s+serial:\S+nothing-here\s/);
    const s = await runCli(['sync', 'sensor1', '--wait', ...sock()]);
    expect(s.code).toBe(0);
    expect(s.stdout).toMatch(/pull device:\/\/sensor1\/lfs\/log.bin completed/);
    const j = await runCli(['devices', '--json', ...sock()]);
    expect(JSON.parse(j.stdout).devices[0].id).toBe('sensor1');
    const missing = await runCli(['sync', 'nope', ...sock()]);
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringContaining('DEVICE_NOT_FOUND') });
  });
});
