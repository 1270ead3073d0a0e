// The operations of `ferryctl smp`, each returning the device's answer twice: as data (--json) and as
// text. File transfers reuse device sync's pull/push, so they resume from a part file and are checked
// with the device's hash the same way.
import { open, rmdir, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { PARTS_DIR } from '../../transfer/file-scope.js';
import { UsageError } from '../args.js';
import type { SmpClient } from '../../sync/smp/smp-client.js';
import type { ImageSlotState } from '../../sync/smp/image-group.js';
import { formatDigest, type HashType } from '../../sync/device-hash.js';
import { pullFile } from '../../sync/device-pull.js';
import { pushFile } from '../../sync/device-push.js';
import { renderTable } from '../format/table.js';

export interface OpResult {
  json: unknown;
  text: string;
}

export interface OpContext {
  client: SmpClient;
  args: string[];
  hashType: HashType | undefined;
  signal: AbortSignal;
  cwd: string;
}

const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('hex') : null);

function need(args: string[], n: number, usage: string): void {
  if (args.length !== n) throw new UsageError(`usage: ferryctl smp ${usage}`, 'smp');
}

function hashArg(s: string): Uint8Array {
  if (!/^([0-9a-fA-F]{2})+$/.test(s)) throw new UsageError(`not a hex hash: ${s}`, 'smp');
  return Buffer.from(s, 'hex');
}

export function slotsJson(slots: ImageSlotState[]): unknown {
  return { images: slots.map((s) => ({ ...s, hash: hex(s.hash) })) };
}

function slotsText(slots: ImageSlotState[]): string {
  if (slots.length === 0) return 'no images';
  const flags = (s: ImageSlotState) =>
    [s.active && 'active', s.confirmed && 'confirmed', s.pending && 'pending', s.permanent && 'permanent', s.bootable && 'bootable'].filter(Boolean).join(',');
  return renderTable(['IMAGE', 'SLOT', 'VERSION', 'FLAGS', 'HASH'], slots.map((s) => [String(s.image), String(s.slot), s.version, flags(s), hex(s.hash) ?? '-']));
}

export async function runSmpOp(c: OpContext): Promise<OpResult> {
  const [op, sub, ...rest] = c.args;
  const { client, signal } = c;
  switch (op) {
    case 'echo': {
      if (sub === undefined) throw new UsageError('usage: ferryctl smp echo TEXT', 'smp');
      const text = [sub, ...rest].join(' ');
      const r = await client.os.echo(text, { signal });
      return { json: { r }, text: r };
    }
    case 'params': {
      const p = await client.os.params({ signal });
      return { json: { buf_size: p.bufSize, buf_count: p.bufCount }, text: `buffer size ${p.bufSize} bytes, ${p.bufCount} buffers` };
    }
    case 'reset':
      await client.os.reset({ signal });
      return { json: { reset: true }, text: 'reset requested' };
    case 'fs':
      return fsOp(c, sub, rest);
    case 'image':
      return imageOp(c, sub, rest);
    default:
      throw new UsageError(`unknown smp operation '${op ?? ''}' (echo, params, reset, fs, image)`, 'smp');
  }
}

async function fsOp(c: OpContext, sub: string | undefined, rest: string[]): Promise<OpResult> {
  const { client, signal } = c;
  switch (sub) {
    case 'get': {
      need(rest, 2, 'fs get REMOTE LOCAL');
      const [remote, local] = rest as [string, string];
      const target = path.resolve(c.cwd, local);
      const dir = path.dirname(target);
      // The part file lives in <dir>/.ferry-parts (named for the target, so a second run resumes it).
      const id = `get-${createHash('sha256').update(target).digest('hex').slice(0, 32)}`;
      const r = await pullFile({
        client, remote, root: dir, rel: path.basename(target), id, hash: c.hashType ?? 'auto', skipUnchanged: false, signal,
        onProgress: () => undefined, onCheckpoint: () => undefined,
      });
      await rmdir(path.join(dir, PARTS_DIR)).catch(() => undefined);
      return {
        json: { remote, local: target, length: r.length, verified: r.verifiedWith, resumedFrom: r.resumedFrom },
        text: `${remote} → ${local}: ${r.length} bytes${r.verifiedWith ? `, matches the device's ${r.verifiedWith}` : ' (the device offers no hash to check)'}`,
      };
    }
    case 'put': {
      need(rest, 2, 'fs put LOCAL REMOTE');
      const [local, remote] = rest as [string, string];
      const r = await pushFile(client, {
        local: path.resolve(c.cwd, local), remote, hash: c.hashType ?? 'auto', offset: 0, signal,
        onProgress: () => undefined, onResume: () => undefined,
      });
      const note = !r.changed ? ' (already on the device)' : r.verifiedWith ? `, matches the device's ${r.verifiedWith}` : '';
      return { json: { local, remote, length: r.length, verified: r.verifiedWith, changed: r.changed }, text: `${local} → ${remote}: ${r.length} bytes${note}` };
    }
    case 'hash': {
      need(rest, 1, 'fs hash REMOTE [--type sha256|crc32]');
      const remote = rest[0]!;
      const r = await client.fs.hash(remote, c.hashType, { signal });
      const type = (r.type || c.hashType || 'crc32') as HashType;
      const value = typeof r.output === 'number' ? r.output >>> 0 : Buffer.from(r.output).toString('hex');
      const shown = formatDigest(type, value);
      return { json: { remote, type, length: r.length, output: typeof value === 'number' ? value.toString(16).padStart(8, '0') : value }, text: `${shown}  ${remote} (${r.length} bytes)` };
    }
    default:
      throw new UsageError(`unknown fs operation '${sub ?? ''}' (get, put, hash)`, 'smp');
  }
}

async function imageOp(c: OpContext, sub: string | undefined, rest: string[]): Promise<OpResult> {
  const { client, signal } = c;
  switch (sub) {
    case 'list': {
      need(rest, 0, 'image list');
      const s = await client.image.state({ signal });
      return { json: slotsJson(s), text: slotsText(s) };
    }
    case 'upload': {
      need(rest, 1, 'image upload FILE');
      const file = path.resolve(c.cwd, rest[0]!);
      const st = await stat(file).catch(() => null);
      if (!st?.isFile()) throw new UsageError(`no such file: ${rest[0]}`, 'smp');
      const fh = await open(file, 'r');
      try {
        const src = {
          size: st.size,
          read: async (off: number, len: number) => {
            const buf = Buffer.alloc(len);
            await fh.read(buf, 0, len, off);
            return new Uint8Array(buf);
          },
        };
        const r = await client.image.upload(src, { signal });
        const slots = await client.image.state({ signal });
        const pending = slots.find((s) => !s.active);
        return {
          json: { length: r.length, match: r.match ?? null, ...(slotsJson(slots) as object) },
          text: `uploaded ${r.length} bytes${pending?.hash ? `; slot ${pending.slot} now holds ${hex(pending.hash)}` : ''}\n${slotsText(slots)}`,
        };
      } finally {
        await fh.close();
      }
    }
    case 'test': {
      need(rest, 1, 'image test HASH');
      const s = await client.image.test(hashArg(rest[0]!), { signal });
      return { json: slotsJson(s), text: slotsText(s) };
    }
    case 'confirm': {
      if (rest.length > 1) throw new UsageError('usage: ferryctl smp image confirm [HASH]', 'smp');
      const s = await client.image.confirm(rest[0] ? hashArg(rest[0]) : undefined, { signal });
      return { json: slotsJson(s), text: slotsText(s) };
    }
    default:
      throw new UsageError(`unknown image operation '${sub ?? ''}' (list, upload, test, confirm)`, 'smp');
  }
}
