// File system group (8): download in the server's chunk size, upload sized to the packet limit,
// status and hash. Both transfers start at a caller-given offset and report each confirmed offset.
import type { RequestOptions, SmpRequester } from './smp-requester.js';
import { FerryError } from '../../errors.js';
import { asReader, checkChunk, fitData, ProgressGuard, type UploadSource } from './smp-chunking.js';
import { isSmpError, SmpGroup } from './smp-errors.js';

const ID = { FILE: 0, STATUS: 1, HASH: 2, SUPPORTED_HASHES: 3, CLOSE: 4 } as const;

export interface FsDownloadOptions {
  /** Byte to start at (resume). */
  offset?: number;
  /** File length if already known; otherwise asked with `status` when resuming past 0. */
  length?: number;
  signal?: AbortSignal;
  /** Called in order for each chunk, awaited before the next request: persist, then return. */
  onChunk?: (offset: number, bytes: Uint8Array) => void | Promise<void>;
}

export interface FsDownloadResult {
  /** Total file length on the device. */
  length: number;
  /** The bytes from `offset` on, only when no `onChunk` was given. */
  data: Uint8Array | undefined;
}

export interface FsUploadOptions {
  offset?: number;
  signal?: AbortSignal;
  /** Called after each chunk the device confirmed, with the next offset to send. */
  onProgress?: (offset: number, total: number) => void | Promise<void>;
}

export interface FsHashResult {
  type: string;
  offset: number;
  length: number;
  /** Byte string for hashes (sha256), number for checksums (crc32). */
  output: Uint8Array | number;
}

export interface HashTypeInfo {
  /** 0 = number, 1 = byte string */
  format: number;
  size: number;
}

function num(v: unknown, what: string): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'bigint') return Number(v);
  throw new FerryError('PROTOCOL_ERROR', `fs answer lacks a numeric "${what}"`);
}

export class FsGroup {
  constructor(private readonly client: SmpRequester) {}

  async status(name: string, opts?: RequestOptions): Promise<{ length: number }> {
    const rsp = await this.client.request('read', SmpGroup.FS, ID.STATUS, { name }, opts);
    return { length: num(rsp.len, 'len') };
  }

  async download(name: string, opts: FsDownloadOptions = {}): Promise<FsDownloadResult> {
    const { signal, onChunk } = opts;
    let off = opts.offset ?? 0;
    let total = opts.length;
    if (off > 0 && total === undefined) {
      try {
        total = (await this.status(name, { signal })).length;
      } catch (e) {
        if (!isSmpError(e)) throw e; // no status command: read until an empty chunk
      }
    }
    const parts: Uint8Array[] = [];
    while (total === undefined || off < total) {
      signal?.throwIfAborted();
      const rsp = await this.client.request('read', SmpGroup.FS, ID.FILE, { name, off }, { signal });
      if (num(rsp.off, 'off') !== off) throw new FerryError('PROTOCOL_ERROR', `fs download asked offset ${off}, got ${String(rsp.off)}`);
      if (rsp.len !== undefined) total = num(rsp.len, 'len');
      const data = rsp.data;
      if (!(data instanceof Uint8Array)) throw new FerryError('PROTOCOL_ERROR', 'fs download answer lacks "data"');
      if (data.length === 0) {
        if (total !== undefined && off < total) throw new FerryError('PROTOCOL_ERROR', `device sent no data at offset ${off} of ${total}`);
        total = off;
        break;
      }
      if (total !== undefined && off + data.length > total) throw new FerryError('PROTOCOL_ERROR', 'fs download ran past the file length');
      if (onChunk) await onChunk(off, data);
      else parts.push(data);
      off += data.length;
    }
    return { length: total ?? off, data: onChunk ? undefined : concat(parts) };
  }

  async upload(name: string, source: UploadSource, opts: FsUploadOptions = {}): Promise<{ length: number }> {
    const { signal, onProgress } = opts;
    const src = asReader(source);
    const total = src.size;
    const limit = await this.client.packetLimit(signal);
    const guard = new ProgressGuard(`fs upload ${name}`);
    let off = opts.offset ?? 0;
    if (off > total) throw new FerryError('BAD_REQUEST', `upload offset ${off} is past the source length ${total}`);
    let sentEmpty = false;
    while (off < total || (total === 0 && !sentEmpty)) {
      signal?.throwIfAborted();
      // "len" is only meaningful (and mandatory) on the request that opens the upload at offset 0.
      const fields = off === 0 ? { off, name, len: total } : { off, name };
      const n = Math.min(fitData(limit, fields), total - off);
      if (total > 0) checkChunk(n, limit);
      const data = await src.read(off, n);
      sentEmpty = true;
      let next: number;
      try {
        const rsp = await this.client.request('write', SmpGroup.FS, ID.FILE, { ...fields, data }, { signal });
        next = rsp.off === undefined ? off + n : num(rsp.off, 'off');
      } catch (e) {
        // Offset mismatch (e.g. our earlier chunk landed but its answer was lost): Zephyr reports the
        // file's current length as "len" and expects us to carry on from there.
        if (isSmpError(e) && typeof e.body.len === 'number' && e.body.len <= total) {
          next = e.body.len;
        } else {
          throw e;
        }
      }
      if (next > total) throw new FerryError('PROTOCOL_ERROR', `device confirmed offset ${next} past length ${total}`);
      guard.check(next);
      off = next;
      if (onProgress) await onProgress(off, total);
    }
    return { length: total };
  }

  async hash(name: string, type?: string, opts: RequestOptions & { offset?: number; length?: number } = {}): Promise<FsHashResult> {
    const body: Record<string, unknown> = { name };
    if (type) body.type = type;
    if (opts.offset) body.off = opts.offset;
    if (opts.length !== undefined) body.len = opts.length;
    const rsp = await this.client.request('read', SmpGroup.FS, ID.HASH, body, opts);
    const output = rsp.output;
    if (!(output instanceof Uint8Array) && typeof output !== 'number') throw new FerryError('PROTOCOL_ERROR', 'hash answer lacks "output"');
    return { type: String(rsp.type ?? type ?? ''), offset: Number(rsp.off ?? 0), length: num(rsp.len, 'len'), output };
  }

  async supportedHashes(opts?: RequestOptions): Promise<Record<string, HashTypeInfo>> {
    const rsp = await this.client.request('read', SmpGroup.FS, ID.SUPPORTED_HASHES, {}, opts);
    const out: Record<string, HashTypeInfo> = {};
    for (const [k, v] of Object.entries((rsp.types ?? {}) as Record<string, Record<string, unknown>>)) {
      out[k] = { format: Number(v.format ?? 0), size: Number(v.size ?? 0) };
    }
    return out;
  }

  /** Closes the file the server may hold open after an upload/download (Zephyr ≥ 3.5). */
  async close(opts?: RequestOptions): Promise<void> {
    await this.client.request('write', SmpGroup.FS, ID.CLOSE, {}, opts);
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
