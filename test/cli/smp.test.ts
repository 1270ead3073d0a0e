// `ferryctl smp` as a bench tool with no agent and no config: against the SMP simulator on a real pty
// (serial framing) and on loopback UDP — the device's answers as text and --json, and exit statuses.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmpDeviceSim } from '../support/smp-sim/smp-device-sim.js';
import type { SerialFrontend } from '../support/smp-sim/serial-frontend.js';
import type { UdpFrontend } from '../support/smp-sim/udp-frontend.js';
import { openPtyPair, type PtyPair } from '../support/pty.js';
import { makeTempDir } from '../support/tmp.js';
import { runCli } from './run-cli.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('ferryctl smp --connect serial:PATH', () => {
  const dir = makeTempDir('ferry-smpcli-');
  const sim = new SmpDeviceSim();
  let pty: PtyPair;
  let frontend: SerialFrontend;
  let connect: string[];

  beforeAll(async () => {
    pty = await openPtyPair();
    frontend = await sim.attachSerial(pty.b);
    connect = ['--connect', `serial:${pty.a},baud=115200,line=127`];
  });
  afterAll(async () => {
    await frontend?.close();
    await pty?.close();
    dir.cleanup();
  });

  it('echoes text and shows the buffer parameters, as text and --json', async () => {
    expect(await runCli(['smp', ...connect, 'echo', 'hello', 'bench'])).toMatchObject({ code: 0, stdout: 'hello bench\n', stderr: '' });
    const p = await runCli(['smp', ...connect, 'params', '--json']);
    expect(p.code).toBe(0);
    expect(JSON.parse(p.stdout)).toEqual({ buf_size: 384, buf_count: 4 });
  });

  it('puts, hashes and gets a file, each checked against the device', async () => {
    const content = new Uint8Array(randomBytes(3000));
    const local = join(dir.path, 'cfg.bin');
    writeFileSync(local, content);
    const put = await runCli(['smp', ...connect, 'fs', 'put', local, '/lfs/cfg.bin']);
    expect(put.code).toBe(0);
    expect(put.stdout).toContain(`matches the device's sha256:${sha(content)}`);
    expect(sha(sim.files.get('/lfs/cfg.bin')!)).toBe(sha(content));
    const h = await runCli(['smp', ...connect, 'fs', 'hash', '/lfs/cfg.bin', '--type', 'crc32']);
    expect(h.stdout).toBe(`crc32:${crc32(content).toString(16).padStart(8, '0')}  /lfs/cfg.bin (3000 bytes)\n`);
    const hj = JSON.parse((await runCli(['smp', ...connect, 'fs', 'hash', '/lfs/cfg.bin', '--json'])).stdout);
    expect(hj).toMatchObject({ remote: '/lfs/cfg.bin', type: 'crc32', length: 3000 });
    const back = join(dir.path, 'back.bin');
    const get = await runCli(['smp', ...connect, 'fs', 'get', '/lfs/cfg.bin', back, '--json']);
    expect(get.code).toBe(0);
    expect(JSON.parse(get.stdout)).toMatchObject({ remote: '/lfs/cfg.bin', length: 3000, verified: `sha256:${sha(content)}` });
    expect(sha(readFileSync(back))).toBe(sha(content));
  });

  it('uploads, tests and confirms an image across a reset', async () => {
    const image = new Uint8Array(randomBytes(4000));
    const file = join(dir.path, 'app.bin');
    writeFileSync(file, image);
    const up = await runCli(['smp', ...connect, 'image', 'upload', file]);
    expect(up.code).toBe(0);
    expect(up.stdout).toContain(`uploaded 4000 bytes; slot 1 now holds ${sha(image)}`);
    const test = await runCli(['smp', ...connect, 'image', 'test', sha(image), '--json']);
    expect(JSON.parse(test.stdout).images[1]).toMatchObject({ slot: 1, hash: sha(image), pending: true });
    expect((await runCli(['smp', ...connect, 'reset'])).stdout).toBe('reset requested\n');
    const list = await runCli(['smp', ...connect, 'image', 'list']);
    expect(list.stdout).toMatch(/^IMAGE\s+SLOT\s+VERSION\s+FLAGS\s+HASH/);
    expect(list.stdout).toMatch(new RegExp(`0\\s+0\\s+1\\.1\\.0\\s+active,bootable\\s+${sha(image)}`));
    const confirm = await runCli(['smp', ...connect, 'image', 'confirm', '--json']);
    expect(JSON.parse(confirm.stdout).images[0]).toMatchObject({ active: true, confirmed: true, hash: sha(image) });
  });

  it('exits 1 with the device error when the device refuses, 2 on usage errors, 3 when it cannot be reached', async () => {
    const missing = await runCli(['smp', ...connect, 'fs', 'get', '/lfs/none', join(dir.path, 'x')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error DEVICE_ERROR: device answered fs request with FS_MGMT_ERR_FILE_NOT_FOUND/);
    const j = await runCli(['smp', ...connect, 'fs', 'get', '/lfs/none', join(dir.path, 'x'), '--json']);
    expect(JSON.parse(j.stdout).error.code).toBe('DEVICE_ERROR');
    expect((await runCli(['smp', 'echo', 'x'])).code).toBe(2);
    expect((await runCli(['smp', ...connect, 'fly'])).code).toBe(2);
    expect((await runCli(['smp', '--connect', 'modem:1', 'echo', 'x'])).code).toBe(2);
    const gone = await runCli(['smp', '--connect', `serial:${join(dir.path, 'no-tty')}`, 'echo', 'x']);
    expect(gone.code).toBe(3);
    expect(gone.stderr).toMatch(/^error DEVICE_NOT_FOUND: /);
  });
});

describe('ferryctl smp --connect udp:HOST:PORT', () => {
  const sim = new SmpDeviceSim();
  let udp: UdpFrontend;
  beforeAll(async () => {
    udp = await sim.attachUdp();
  });
  afterAll(() => udp?.close());

  it('talks to a UDP device: echo, image list', async () => {
    const connect = ['--connect', `udp:127.0.0.1:${udp.port}`];
    expect((await runCli(['smp', ...connect, 'echo', 'over', 'udp'])).stdout).toBe('over udp\n');
    const list = JSON.parse((await runCli(['smp', ...connect, 'image', 'list', '--json'])).stdout);
    expect(list.images).toEqual([expect.objectContaining({ slot: 0, version: '1.0.0', active: true, confirmed: true })]);
  });

  it('exits 3 when nothing answers on the port', async () => {
    const r = await runCli(['smp', '--connect', 'udp:127.0.0.1:9', '--timeout', '200', 'echo', 'x']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error DEVICE_TIMEOUT: /);
  });
});
