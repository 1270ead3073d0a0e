import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { SmpClient } from '../../../src/sync/smp/smp-client.js';
import { LoopbackTransport } from '../../support/smp-sim/loopback-transport.js';
import { SmpDeviceSim, type SmpSimKnobs } from '../../support/smp-sim/smp-device-sim.js';

const open: LoopbackTransport[] = [];
afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
});

async function setup(knobs: Partial<SmpSimKnobs> = {}, mtu = 1024) {
  const sim = new SmpDeviceSim(knobs);
  const transport = new LoopbackTransport(sim, mtu);
  await transport.open();
  open.push(transport);
  return { sim, client: new SmpClient(transport, { timeoutMs: 200, retries: 2 }) };
}

const bytes = (n: number) => new Uint8Array(randomBytes(n));

describe('fs download', () => {
  it('downloads in the chunk size the server chooses', async () => {
    const { client, sim } = await setup({ downloadChunkSize: 77 });
    const file = bytes(1000);
    sim.files.set('/lfs/log.bin', file);
    const chunks: [number, number][] = [];
    const res = await client.fs.download('/lfs/log.bin', { onChunk: (off, b) => void chunks.push([off, b.length]) });
    expect(res).toEqual({ length: 1000, data: undefined });
    expect(chunks.slice(0, 3)).toEqual([[0, 77], [77, 77], [154, 77]]);
    expect(chunks.at(-1)).toEqual([924, 76]);
  });

  it('resumes from an offset, asking the length with status', async () => {
    const { client, sim } = await setup({ downloadChunkSize: 100 });
    const file = bytes(450);
    sim.files.set('/f', file);
    const res = await client.fs.download('/f', { offset: 300 });
    expect(res.length).toBe(450);
    expect(res.data).toEqual(file.subarray(300));
    const reads = sim.requests.filter((r) => r.header.group === 8 && r.header.id === 0);
    expect(reads.map((r) => r.body.off)).toEqual([300, 400]);
  });

  it('reports every confirmed offset so a cancelled download can continue where it stopped', async () => {
    const { client, sim } = await setup({ downloadChunkSize: 64 });
    const file = bytes(640);
    sim.files.set('/f', file);
    const got: Uint8Array[] = [];
    let persisted = 0;
    const ac = new AbortController();
    await expect(
      client.fs.download('/f', {
        signal: ac.signal,
        onChunk: (off, b) => {
          got.push(b.slice());
          persisted = off + b.length;
          if (persisted >= 256) ac.abort(new Error('job paused'));
        },
      }),
    ).rejects.toThrow('job paused');
    expect(persisted).toBe(256);
    const rest = await client.fs.download('/f', { offset: persisted });
    expect(Buffer.concat([...got, rest.data!])).toEqual(Buffer.from(file));
  });

  it('survives a lost answer by retrying the same offset', async () => {
    const { client, sim } = await setup({ downloadChunkSize: 50, dropResponses: 1 });
    const file = bytes(120);
    sim.files.set('/f', file);
    expect((await client.fs.download('/f')).data).toEqual(file);
  });

  it('downloads an empty file', async () => {
    const { client, sim } = await setup();
    sim.files.set('/empty', new Uint8Array());
    expect(await client.fs.download('/empty')).toEqual({ length: 0, data: new Uint8Array() });
  });
});

describe('fs upload', () => {
  it('sizes chunks to the device buffer and the transport MTU', async () => {
    const { client, sim } = await setup({ bufSize: 256 }, 1024);
    const file = bytes(3000);
    const progress: number[] = [];
    await client.fs.upload('/lfs/up.bin', file, { onProgress: (off) => void progress.push(off) });
    expect(sim.files.get('/lfs/up.bin')).toEqual(file);
    expect(sim.oversizeRequests).toBe(0);
    const writes = sim.requests.filter((r) => r.header.group === 8 && r.header.op === 2);
    expect(Math.max(...writes.map((r) => r.size))).toBeLessThanOrEqual(252);
    expect(Math.max(...writes.map((r) => r.size))).toBeGreaterThan(240);
    expect(writes[0]!.body.len).toBe(3000);
    expect(writes[1]!.body.len).toBeUndefined();
    expect(progress.at(-1)).toBe(3000);
  });

  it('resumes an upload from a confirmed offset', async () => {
    const { client, sim } = await setup({ bufSize: 200 });
    const file = bytes(1500);
    let confirmed = 0;
    const ac = new AbortController();
    await expect(
      client.fs.upload('/u', file, {
        signal: ac.signal,
        onProgress: (off) => {
          confirmed = off;
          if (off > 500) ac.abort(new Error('budget over'));
        },
      }),
    ).rejects.toThrow('budget over');
    sim.fsUpload = undefined; // device forgot its RAM context (reboot)
    await client.fs.upload('/u', file, { offset: confirmed });
    expect(sim.files.get('/u')).toEqual(file);
  });

  it('continues from the length the device reports after a lost answer', async () => {
    const { client, sim } = await setup({ bufSize: 200 });
    const file = bytes(800);
    sim.knobs.dropResponses = 0;
    let n = 0;
    sim.on('request', () => {
      if (++n === 3) sim.knobs.dropResponses = 1; // third chunk lands, its answer is lost
    });
    await client.fs.upload('/u', file);
    expect(sim.files.get('/u')).toEqual(file);
    const offs = sim.requests.filter((r) => r.header.group === 8 && r.header.op === 2).map((r) => r.body.off);
    expect(new Set(offs).size).toBe(offs.length - 1); // exactly one chunk was sent twice
  });

  it('uploads an empty file', async () => {
    const { client, sim } = await setup();
    await client.fs.upload('/zero', new Uint8Array());
    expect(sim.files.get('/zero')).toEqual(new Uint8Array());
  });

  it('reads from a random-access source', async () => {
    const { client, sim } = await setup();
    const file = bytes(2000);
    await client.fs.upload('/r', { size: file.length, read: async (off, len) => file.slice(off, off + len) });
    expect(sim.files.get('/r')).toEqual(file);
  });
});

describe('fs status and hashes', () => {
  it('hashes a file with crc32 and sha256 and lists the types', async () => {
    const { client, sim } = await setup();
    const file = bytes(333);
    sim.files.set('/h', file);
    expect(await client.fs.status('/h')).toEqual({ length: 333 });
    expect(await client.fs.hash('/h', 'crc32')).toMatchObject({ type: 'crc32', length: 333, output: crc32(file) });
    const sha = await client.fs.hash('/h', 'sha256');
    expect(Buffer.from(sha.output as Uint8Array).toString('hex')).toBe(createHash('sha256').update(file).digest('hex'));
    expect(await client.fs.supportedHashes()).toEqual({ crc32: { format: 0, size: 4 }, sha256: { format: 1, size: 32 } });
    await expect(client.fs.hash('/h', 'md5')).rejects.toMatchObject({ rcName: 'FS_MGMT_ERR_CHECKSUM_HASH_NOT_FOUND' });
  });
});
