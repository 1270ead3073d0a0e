// Pushes to a device: a file into its file system (resumed from the offset the device confirmed last,
// verified with the device's hash), or a firmware image through upload → test → reset → confirm. Each
// image step is recorded before the next starts, so a restarted agent continues where it stopped.
import { createHash } from 'node:crypto';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { FerryError } from '../errors.js';
import { isTransportError } from '../../drivers/transport.js';
import type { SmpClient } from './smp/smp-client.js';
import type { SourceReader } from './smp/smp-chunking.js';
import type { ImageSlotState } from './smp/image-group.js';
import { chooseHashType, deviceDigest, formatDigest, localDigest, type HashType } from './device-hash.js';
import type { DeviceLease } from './device-link.js';

export interface PushCallbacks {
  signal: AbortSignal;
  onProgress(bytes: number, total: number): void;
  /** Persist: the device confirmed this much (and, for images, which step is done). */
  onResume(state: { deviceOffset?: number; imageSha?: string; imageStage?: string; imageHash?: string }): void;
}

async function fileSource(abs: string): Promise<{ src: SourceReader; fh: FileHandle }> {
  const st = await stat(abs).catch(() => null);
  if (!st?.isFile()) throw new FerryError('FILE_NOT_FOUND', `nothing to push: ${abs} is not a file`);
  const fh = await open(abs, 'r');
  return {
    fh,
    src: {
      size: st.size,
      read: async (off, len) => {
        const buf = Buffer.alloc(len);
        const { bytesRead } = await fh.read(buf, 0, len, off);
        if (bytesRead !== len) throw new FerryError('IO_ERROR', `${abs} changed while it was being pushed`);
        return new Uint8Array(buf.buffer, buf.byteOffset, len);
      },
    },
  };
}

export async function pushFile(
  client: SmpClient,
  o: PushCallbacks & { local: string; remote: string; hash: 'auto' | HashType | 'none'; offset: number },
): Promise<{ length: number; verifiedWith: string | null; resumedFrom: number; changed: boolean }> {
  const { fh, src } = await fileSource(o.local);
  try {
    const hashType = await chooseHashType(client, o.hash, o.signal);
    const local = hashType ? await localDigest(o.local, hashType) : null;
    if (hashType && o.offset === 0) {
      const dev = await deviceDigest(client, o.remote, hashType, o.signal);
      if (dev !== null && dev === local) {
        o.onProgress(src.size, src.size);
        return { length: src.size, verifiedWith: formatDigest(hashType, dev), resumedFrom: src.size, changed: false };
      }
    }
    const start = o.offset <= src.size ? o.offset : 0;
    o.onProgress(start, src.size);
    await client.fs.upload(o.remote, src, {
      offset: start,
      signal: o.signal,
      onProgress: (off, total) => {
        o.onProgress(off, total);
        o.onResume({ deviceOffset: off });
      },
    });
    let verifiedWith: string | null = null;
    if (hashType && local !== null) {
      const dev = await deviceDigest(client, o.remote, hashType, o.signal);
      if (dev !== null && dev !== local) {
        o.onResume({ deviceOffset: 0 });
        throw new FerryError('CHECKSUM_MISMATCH', `${o.remote} on the device is ${formatDigest(hashType, dev)}, expected ${formatDigest(hashType, local)}; it starts over`);
      }
      if (dev !== null) verifiedWith = formatDigest(hashType, dev);
    }
    return { length: src.size, verifiedWith, resumedFrom: start, changed: true };
  } finally {
    await fh.close();
  }
}

export interface ImagePushOptions extends PushCallbacks {
  local: string;
  image: number;
  test: boolean;
  reset: boolean;
  confirm: boolean;
  resume: { deviceOffset?: number; imageSha?: string; imageStage?: string; imageHash?: string };
  /** How long to wait for the device to answer again after its reset (default 60 s). */
  rebootWaitMs?: number;
}

const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('hex') : '');

/** Upload → test → reset → confirm, each step skipped when the recorded stage is past it. */
export async function pushImage(lease: DeviceLease, o: ImagePushOptions): Promise<{ length: number; stage: string; resumedFrom: number; imageHash: string }> {
  const { fh, src } = await fileSource(o.local);
  let stage: string;
  let imageHash: string;
  let resumedFrom = 0;
  try {
    const sha = createHash('sha256');
    for (let off = 0; off < src.size; off += 65536) sha.update(await src.read(off, Math.min(65536, src.size - off)));
    const shaBytes = new Uint8Array(sha.digest());
    const shaHex = hex(shaBytes);
    const same = o.resume.imageSha === shaHex;
    stage = same ? (o.resume.imageStage ?? 'upload') : 'upload';
    imageHash = same ? (o.resume.imageHash ?? '') : '';
    if (stage === 'upload') {
      resumedFrom = same ? (o.resume.deviceOffset ?? 0) : 0;
      o.onResume({ imageSha: shaHex, imageStage: 'upload', deviceOffset: resumedFrom });
      o.onProgress(resumedFrom, src.size);
      await lease.client.image.upload(src, {
        image: o.image,
        sha: shaBytes,
        offset: resumedFrom,
        signal: o.signal,
        onProgress: (off, total) => {
          o.onProgress(off, total);
          o.onResume({ deviceOffset: off });
        },
      });
      const slot = pendingSlot(await lease.client.image.state({ signal: o.signal }), o.image);
      if (!slot?.hash) throw new FerryError('DEVICE_ERROR', `the device lists no uploaded image in a secondary slot of image ${o.image}`);
      imageHash = hex(slot.hash);
      stage = 'uploaded';
      o.onResume({ imageStage: stage, imageHash });
    } else {
      resumedFrom = src.size;
    }
  } finally {
    await fh.close();
  }
  o.onProgress(src.size, src.size);
  const client = () => lease.client;
  const hashBytes = Buffer.from(imageHash, 'hex');
  if (stage === 'uploaded' && o.test) {
    await client().image.test(hashBytes, { signal: o.signal });
    stage = 'tested';
    o.onResume({ imageStage: stage });
  }
  if (stage === 'tested' && o.reset) {
    await client().os.reset({ signal: o.signal });
    stage = 'reset';
    o.onResume({ imageStage: stage });
  }
  if (stage === 'reset') {
    await waitForReboot(lease, o.signal, o.rebootWaitMs ?? 60_000);
    const running = activeSlot(await client().image.state({ signal: o.signal }), o.image);
    if (hex(running?.hash) !== imageHash) {
      throw new FerryError('DEVICE_ERROR', `after the reset the device runs ${hex(running?.hash) || 'no image'}, not the tested ${imageHash}: the new image did not boot (reverted)`);
    }
    if (o.confirm) {
      await client().image.confirm(hashBytes, { signal: o.signal });
      stage = 'confirmed';
    } else {
      stage = 'running';
    }
    o.onResume({ imageStage: stage });
  }
  return { length: src.size, stage, resumedFrom, imageHash };
}

function pendingSlot(slots: ImageSlotState[], image: number): ImageSlotState | undefined {
  return slots.find((s) => s.image === image && !s.active && s.slot !== 0) ?? slots.find((s) => s.image === image && !s.active);
}

function activeSlot(slots: ImageSlotState[], image: number): ImageSlotState | undefined {
  return slots.find((s) => s.image === image && s.active);
}

/** A resetting device goes quiet (serial) or drops the link (BLE, USB): wait until it answers an echo. */
async function waitForReboot(lease: DeviceLease, signal: AbortSignal, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  let last: unknown;
  // Give the device a moment to actually go down before the first probe.
  await new Promise((r) => setTimeout(r, 200));
  while (Date.now() < deadline) {
    signal.throwIfAborted();
    try {
      if (!lease.transport.isOpen) await lease.reconnect(signal);
      await lease.client.os.echo('ferry', { signal, timeoutMs: 1000, retries: 0 });
      return;
    } catch (e) {
      if (signal.aborted) throw e;
      if (!isTransportError(e)) throw e;
      last = e;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  throw new FerryError('DEVICE_TIMEOUT', `the device did not answer within ${Math.round(waitMs / 1000)} s of its reset: ${(last as Error | undefined)?.message ?? ''}`);
}
