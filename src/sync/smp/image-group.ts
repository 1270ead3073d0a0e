// Image group (1): slot state, upload with a whole-image SHA-256 so the device can resume a broken
// session (it answers the offset to continue from), test, confirm and erase.
import { createHash } from 'node:crypto';
import type { RequestOptions, SmpRequester } from './smp-requester.js';
import type { SmpBody } from './smp-cbor.js';
import { FerryError } from '../../errors.js';
import { asReader, checkChunk, fitData, ProgressGuard, type SourceReader, type UploadSource } from './smp-chunking.js';
import { SmpGroup } from './smp-errors.js';

const ID = { STATE: 0, UPLOAD: 1, ERASE: 5, SLOT_INFO: 6 } as const;

export interface ImageSlotState {
  image: number;
  slot: number;
  version: string;
  hash: Uint8Array | undefined;
  bootable: boolean;
  pending: boolean;
  confirmed: boolean;
  active: boolean;
  permanent: boolean;
}

export interface ImageUploadOptions {
  /** Image number for multi-image devices (default 0). */
  image?: number;
  /** Start here instead of opening a new session (the device corrects us if it disagrees). */
  offset?: number;
  /** SHA-256 of the whole image; computed from the source when omitted. */
  sha?: Uint8Array;
  /** Ask the device to refuse images not newer than the running one. */
  upgrade?: boolean;
  signal?: AbortSignal;
  onProgress?: (offset: number, total: number) => void | Promise<void>;
}

export class ImageGroup {
  constructor(private readonly client: SmpRequester) {}

  async state(opts?: RequestOptions): Promise<ImageSlotState[]> {
    return parseState(await this.client.request('read', SmpGroup.IMAGE, ID.STATE, {}, opts));
  }

  /** Marks the image with `hash` to run once on next boot (reverted unless confirmed). */
  async test(hash: Uint8Array, opts?: RequestOptions): Promise<ImageSlotState[]> {
    return parseState(await this.client.request('write', SmpGroup.IMAGE, ID.STATE, { hash, confirm: false }, opts));
  }

  /** Confirms the image with `hash`, or the running image when no hash is given. */
  async confirm(hash?: Uint8Array, opts?: RequestOptions): Promise<ImageSlotState[]> {
    const body: SmpBody = hash ? { hash, confirm: true } : { confirm: true };
    return parseState(await this.client.request('write', SmpGroup.IMAGE, ID.STATE, body, opts));
  }

  async erase(slot?: number, opts?: RequestOptions): Promise<void> {
    await this.client.request('write', SmpGroup.IMAGE, ID.ERASE, slot === undefined ? {} : { slot }, opts);
  }

  async upload(source: UploadSource, opts: ImageUploadOptions = {}): Promise<{ length: number; match: boolean | undefined }> {
    const { signal, onProgress } = opts;
    const src = asReader(source);
    const total = src.size;
    const sha = opts.sha ?? (await sha256Of(src));
    const limit = await this.client.packetLimit(signal);
    const guard = new ProgressGuard('image upload');
    let off = opts.offset ?? 0;
    let opening = off === 0;
    let match: boolean | undefined;
    while (opening || off < total) {
      signal?.throwIfAborted();
      if (opening) off = 0;
      // The opening request carries len/sha (and image/upgrade); a device that lost its session
      // answers off 0 and needs them all again.
      const fields: SmpBody = opening ? openingFields(total, sha, opts) : { off };
      const n = Math.min(fitData(limit, fields), total - off);
      checkChunk(n, limit);
      const data = await src.read(off, n);
      const rsp = await this.client.request('write', SmpGroup.IMAGE, ID.UPLOAD, { ...fields, data }, { signal });
      if (typeof rsp.off !== 'number') throw new FerryError('PROTOCOL_ERROR', 'image upload answer lacks "off"');
      if (rsp.off > total) throw new FerryError('PROTOCOL_ERROR', `device confirmed offset ${rsp.off} past length ${total}`);
      if (typeof rsp.match === 'boolean') match = rsp.match;
      const wasOpening = opening;
      opening = rsp.off === 0 && !wasOpening;
      guard.check(rsp.off);
      off = rsp.off;
      if (onProgress) await onProgress(off, total);
    }
    if (match === false) throw new FerryError('CHECKSUM_MISMATCH', 'device reports the uploaded image does not match its SHA-256');
    return { length: total, match };
  }
}

function openingFields(total: number, sha: Uint8Array, opts: ImageUploadOptions): SmpBody {
  const f: SmpBody = {};
  if (opts.image) f.image = opts.image;
  f.len = total;
  f.off = 0;
  f.sha = sha;
  if (opts.upgrade) f.upgrade = true;
  return f;
}

async function sha256Of(src: SourceReader): Promise<Uint8Array> {
  const h = createHash('sha256');
  const step = 64 * 1024;
  for (let off = 0; off < src.size; off += step) h.update(await src.read(off, Math.min(step, src.size - off)));
  return new Uint8Array(h.digest());
}

function parseState(body: SmpBody): ImageSlotState[] {
  const images = Array.isArray(body.images) ? (body.images as Record<string, unknown>[]) : [];
  return images.map((i) => ({
    image: Number(i.image ?? 0),
    slot: Number(i.slot ?? 0),
    version: String(i.version ?? ''),
    hash: i.hash instanceof Uint8Array ? i.hash : undefined,
    bootable: i.bootable === true,
    pending: i.pending === true,
    confirmed: i.confirmed === true,
    active: i.active === true,
    permanent: i.permanent === true,
  }));
}
