// Simulated file system group (8), following Zephyr's fs_mgmt: stateless download in chunks the
// server picks; upload keeps one context (name, expected offset) and answers an offset mismatch
// with FILE_OFFSET_NOT_VALID plus the file's current length as "len".
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { SimHandler } from './smp-device-sim.js';
import { MGMT, SimFailure } from './sim-failure.js';

const FS = 8;
const ERR = { FILE_NOT_FOUND: 3, FILE_OFFSET_NOT_VALID: 11, FILE_OFFSET_LARGER_THAN_FILE: 12, CHECKSUM_HASH_NOT_FOUND: 13 } as const;

export interface FsUploadContext {
  name: string;
  off: number;
  len: number;
}

function fileOf(files: Map<string, Uint8Array>, name: unknown): Uint8Array {
  const f = typeof name === 'string' ? files.get(name) : undefined;
  if (!f) throw new SimFailure(FS, ERR.FILE_NOT_FOUND, MGMT.ENOENT);
  return f;
}

export const fsHandlers: Record<string, SimHandler> = {
  [`${FS}:0:0`]: (sim, req) => {
    const file = fileOf(sim.files, req.body.name);
    const off = Number(req.body.off ?? 0);
    if (off > file.length) throw new SimFailure(FS, ERR.FILE_OFFSET_LARGER_THAN_FILE, MGMT.EINVAL);
    // Leave room for header and map keys so the answer fits the device's own buffer.
    const n = Math.min(sim.knobs.downloadChunkSize, sim.knobs.bufSize - 40, file.length - off);
    const data = file.slice(off, off + n);
    return off === 0 ? { off, data, len: file.length } : { off, data };
  },
  [`${FS}:0:2`]: (sim, req) => {
    const name = String(req.body.name ?? '');
    const off = Number(req.body.off ?? -1);
    const data = req.body.data;
    if (!name || off < 0 || !(data instanceof Uint8Array)) throw SimFailure.mgmt(MGMT.EINVAL);
    if (off === 0) {
      sim.fsUpload = { name, off: 0, len: Number(req.body.len ?? 0) };
      sim.files.set(name, new Uint8Array(0));
    } else if (!sim.fsUpload || sim.fsUpload.name !== name) {
      sim.fsUpload = { name, off: sim.files.get(name)?.length ?? 0, len: 0 };
    }
    const ctx = sim.fsUpload;
    if (off > 0 && off !== ctx.off) {
      sim.fsUpload = undefined;
      throw new SimFailure(FS, ERR.FILE_OFFSET_NOT_VALID, MGMT.EINVAL, { len: ctx.off });
    }
    const old = sim.files.get(name) ?? new Uint8Array(0);
    const next = new Uint8Array(off + data.length);
    next.set(old.subarray(0, off), 0);
    next.set(data, off);
    sim.files.set(name, next);
    ctx.off = off + data.length;
    const confirmed = ctx.off;
    if (ctx.len > 0 && ctx.off >= ctx.len) sim.fsUpload = undefined;
    return { off: confirmed };
  },
  [`${FS}:1:0`]: (sim, req) => ({ len: fileOf(sim.files, req.body.name).length }),
  [`${FS}:2:0`]: (sim, req) => {
    const file = fileOf(sim.files, req.body.name);
    const type = typeof req.body.type === 'string' ? req.body.type : 'crc32';
    const off = Number(req.body.off ?? 0);
    const len = req.body.len === undefined ? file.length - off : Math.min(Number(req.body.len), file.length - off);
    const part = file.subarray(off, off + len);
    let output: number | Uint8Array;
    if (type === 'crc32') output = crc32(part);
    else if (type === 'sha256') output = new Uint8Array(createHash('sha256').update(part).digest());
    else throw new SimFailure(FS, ERR.CHECKSUM_HASH_NOT_FOUND, MGMT.ENOTSUP);
    return off ? { type, off, len, output } : { type, len, output };
  },
  [`${FS}:3:0`]: () => ({ types: { crc32: { format: 0, size: 4 }, sha256: { format: 1, size: 32 } } }),
};
