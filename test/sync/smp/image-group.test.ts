import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { SmpClient } from '../../../src/sync/smp/smp-client.js';
import { LoopbackTransport } from '../../support/smp-sim/loopback-transport.js';
import { SmpDeviceSim, type SmpSimKnobs } from '../../support/smp-sim/smp-device-sim.js';
import { waitFor } from '../../support/wait.js';

const open: LoopbackTransport[] = [];
afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
});

async function setup(knobs: Partial<SmpSimKnobs> = {}) {
  const sim = new SmpDeviceSim(knobs);
  const transport = new LoopbackTransport(sim, 1024);
  await transport.open();
  open.push(transport);
  return { sim, client: new SmpClient(transport, { timeoutMs: 200, retries: 2 }) };
}

const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());

describe('image management', () => {
  it('uploads an image into slot 1 with its SHA-256 and the device confirms the match', async () => {
    const { client, sim } = await setup({ bufSize: 300 });
    const image = new Uint8Array(randomBytes(5000));
    const res = await client.image.upload(image);
    expect(res).toEqual({ length: 5000, match: true });
    const first = sim.requests.find((r) => r.header.group === 1 && r.header.id === 1)!;
    expect(first.body).toMatchObject({ off: 0, len: 5000, sha: sha256(image) });
    expect(sim.oversizeRequests).toBe(0);
    const state = await client.image.state();
    expect(state[1]).toMatchObject({ slot: 1, version: '1.1.0', pending: false, hash: sha256(image) });
  });

  it('resumes a broken upload from the offset the device returns for the same sha', async () => {
    const { client, sim } = await setup({ bufSize: 300 });
    const image = new Uint8Array(randomBytes(4000));
    const ac = new AbortController();
    await expect(
      client.image.upload(image, { signal: ac.signal, onProgress: (off) => void (off > 2000 && ac.abort(new Error('link lost'))) }),
    ).rejects.toThrow('link lost');
    const deviceOffset = sim.imageUpload!.off;
    const offsets: number[] = [];
    await client.image.upload(image, { onProgress: (off) => void offsets.push(off) });
    expect(offsets[0]).toBe(deviceOffset);
    expect(sim.images[1]!.hash).toEqual(sha256(image));
  });

  it('starts over when the device lost the session it was asked to continue', async () => {
    const { client, sim } = await setup({ bufSize: 300 });
    const image = new Uint8Array(randomBytes(1500));
    await client.image.upload(image, { offset: 900 });
    const uploads = sim.requests.filter((r) => r.header.group === 1 && r.header.id === 1);
    expect(uploads[0]!.body.off).toBe(900);
    expect(uploads[1]!.body).toMatchObject({ off: 0, len: 1500 });
    expect(sim.images[1]!.hash).toEqual(sha256(image));
  });

  it('marks an image for test, swaps it in on reset, then confirms it', async () => {
    const { client, sim } = await setup();
    const image = new Uint8Array(randomBytes(700));
    await client.image.upload(image);
    const hash = sha256(image);
    const afterTest = await client.image.test(hash);
    expect(afterTest[1]).toMatchObject({ pending: true, permanent: false });
    await client.os.reset();
    await waitFor(() => sim.resets === 1, 2000, 'device reset');
    const booted = await client.image.state();
    expect(booted[0]).toMatchObject({ slot: 0, active: true, confirmed: false, hash });
    const confirmed = await client.image.confirm();
    expect(confirmed[0]).toMatchObject({ active: true, confirmed: true });
  });

  it('refuses to test an unknown hash and to erase a pending slot', async () => {
    const { client } = await setup();
    await expect(client.image.test(new Uint8Array(32))).rejects.toMatchObject({ rcName: 'IMG_MGMT_ERR_HASH_NOT_FOUND' });
    const image = new Uint8Array(randomBytes(100));
    await client.image.upload(image);
    await client.image.confirm(sha256(image));
    await expect(client.image.erase()).rejects.toMatchObject({ rcName: 'MGMT_ERR_EBADSTATE' });
  });

  it('erases slot 1', async () => {
    const { client } = await setup();
    await client.image.upload(new Uint8Array(randomBytes(100)));
    await client.image.erase(1);
    expect(await client.image.state()).toHaveLength(1);
  });
});
