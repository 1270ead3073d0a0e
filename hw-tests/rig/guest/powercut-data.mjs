// The power-cut suite's file contents: a seeded AES-128-CTR key stream, so any byte range can be made
// without storing the file (the origin serves ranges from it, the device simulator gets it whole) and
// the host computes the expected sha256 outside the VM from the seed alone. Used by both sides.
import { createCipheriv, createHash } from 'node:crypto';

const keyOf = (seed, name) => createHash('sha256').update(`ferry-rig-powercut:${seed}:${name}`).digest().subarray(0, 16);

/** `length` bytes of the named stream from `offset`. */
export function bytesAt(seed, name, offset, length) {
  const block = Math.floor(offset / 16);
  const iv = Buffer.alloc(16);
  iv.writeBigUInt64BE(BigInt(block), 8);
  const skip = offset - block * 16;
  const c = createCipheriv('aes-128-ctr', keyOf(seed, name), iv);
  return c.update(Buffer.alloc(skip + length)).subarray(skip);
}

/** Hex sha256 of the stream's first `size` bytes. */
export function sha256Of(seed, name, size) {
  const h = createHash('sha256');
  const step = 4 * 1024 * 1024;
  for (let at = 0; at < size; at += step) h.update(bytesAt(seed, name, at, Math.min(step, size - at)));
  return h.digest('hex');
}

/**
 * The suite's parameters, which the host passes on the kernel command line of every boot:
 * `rig.pc=PHASE,seed=S,dl=BYTES,dev=BYTES,rate=B/S,delay=MS` (PHASE: setup, cut or final).
 */
export function parsePowercutArg(cmdline) {
  const m = /(?:^|\s)rig\.pc=(\S+)/.exec(cmdline);
  if (!m) return null;
  const [phase, ...kv] = m[1].split(',');
  const o = Object.fromEntries(kv.map((p) => p.split('=')));
  return { phase, seed: o.seed, dlSize: Number(o.dl), devSize: Number(o.dev), rate: Number(o.rate), delayMs: Number(o.delay) };
}

export function powercutArg(p) {
  return `rig.pc=${p.phase},seed=${p.seed},dl=${p.dlSize},dev=${p.devSize},rate=${p.rate},delay=${p.delayMs}`;
}
