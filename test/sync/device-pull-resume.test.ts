// A device pull resumed after a power cut (the rig's power-cut suite found pulls starting over): the
// part may hold a zero-filled tail past the last fsynced offset. With a device that offers no hash
// (or `hash: "none"`) nothing else would notice, and those zeros would end up in the pulled file.
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pullFile } from '../../src/sync/device-pull.js';
import { SmpClient } from '../../src/sync/smp/smp-client.js';
import { currentBootId, partName } from '../../src/transfer/part-file.js';
import { LoopbackTransport } from '../support/smp-sim/loopback-transport.js';
import { SmpDeviceSim } from '../support/smp-sim/smp-device-sim.js';
import { makeTempDir } from '../support/tmp.js';

const KiB = 1024;
const content = new Uint8Array(randomBytes(64 * KiB));
let tmp: ReturnType<typeof makeTempDir>;
let transport: LoopbackTransport;
let client: SmpClient;

beforeEach(async () => {
  tmp = makeTempDir();
  const sim = new SmpDeviceSim({});
  sim.files.set('/lfs/data.bin', content);
  transport = new LoopbackTransport(sim, 1024);
  await transport.open();
  client = new SmpClient(transport, { timeoutMs: 500, retries: 2 });
});
afterEach(async () => {
  await transport.close();
  tmp.cleanup();
});

/** A part as a power cut leaves it: `good` bytes of the file, then `zeros` bytes the disk never got. */
function leavePart(id: string, good: number, zeros: number): void {
  const parts = join(tmp.path, '.ferry-parts');
  mkdirSync(parts, { mode: 0o700 });
  writeFileSync(join(parts, partName(id)), content.subarray(0, good), { mode: 0o600 });
  appendFileSync(join(parts, partName(id)), Buffer.alloc(zeros));
}

const pull = (id: string, recorded: { partBytes?: number; partBoot?: string }) =>
  pullFile({
    client, remote: '/lfs/data.bin', root: tmp.path, rel: 'dev/data.bin', id, hash: 'none', skipUnchanged: false,
    signal: new AbortController().signal, onProgress: () => undefined, onCheckpoint: () => undefined, recorded,
  });

describe('device pull resume after a reboot', () => {
  it('cuts a part written before this boot back to the recorded synced offset: no zeros in the file', async () => {
    leavePart('cut', 16 * KiB, 4 * KiB);
    const r = await pull('cut', { partBytes: 16 * KiB, partBoot: 'the-boot-before' });
    expect(r.resumedFrom).toBe(16 * KiB);
    expect(Buffer.from(readFileSync(join(tmp.path, 'dev/data.bin'))).equals(Buffer.from(content))).toBe(true);
  });

  it('keeps all of a part written in this boot (a killed process loses nothing the kernel took)', async () => {
    leavePart('kill', 20 * KiB, 0);
    const r = await pull('kill', { partBytes: 16 * KiB, partBoot: currentBootId() });
    expect(r.resumedFrom).toBe(20 * KiB);
    expect(Buffer.from(readFileSync(join(tmp.path, 'dev/data.bin'))).equals(Buffer.from(content))).toBe(true);
  });
});
