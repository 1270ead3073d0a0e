// A stateful SMP device for the rig's serial and USB simulators: a file system (fs group 8: download,
// status, hash/checksum) backed by STATE_DIR/fs, image slots (group 1: upload with sha resume, state,
// test/confirm) and a reset that swaps a pending image in; the rest goes to smp-responder.mjs. Tests
// drive it through files: STATE_DIR/delay-ms (slowness), and read STATE_DIR/images.json and requests.log.
// Like smp-responder.mjs it is written apart from ferry's client, so a misreading cannot hide on both sides.
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, normalize } from 'node:path';
import { crc32 } from 'node:zlib';
import { decode, encode } from 'cbor2';
import { createSmpResponder, parseHeader } from './smp-responder.mjs';

const OP_READ = 0;
const OP_WRITE = 2;
// Zephyr's MGMT_ERR_*: EINVAL 3, ENOENT 5, EBADSTATE 6, ENOTSUP 8.
const EINVAL = 3;
const ENOENT = 5;
const EBADSTATE = 6;
const ENOTSUP = 8;
/** Bytes per fs download answer (the server picks; Zephyr sizes it from its buffer). */
const CHUNK = 256;

const sha256 = (b) => createHash('sha256').update(b).digest();
// cbor2 encodes a Node Buffer as a tagged object, not a byte string: hand it plain Uint8Array views.
const bstr = (b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

function reply(h, body) {
  const payload = Buffer.from(encode(body));
  const out = Buffer.alloc(8);
  out[0] = ((h.version & 0x03) << 3) | (h.op + 1);
  out.writeUInt16BE(payload.length, 2);
  out.writeUInt16BE(h.group, 4);
  out[6] = h.seq;
  out[7] = h.id;
  return Buffer.concat([out, payload]);
}

/** Returns `{ handle(packet) -> Promise<response | null> }`; answers are serialised in arrival order. */
export function createSmpDevice({ stateDir, log = () => {} }) {
  const fsRoot = join(stateDir, 'fs');
  mkdirSync(fsRoot, { recursive: true });
  const base = createSmpResponder({ log });
  const running = Buffer.from('rig firmware 1.0.0');
  let slots = [{ slot: 0, version: '1.0.0', data: running, active: true, confirmed: true, pending: false, permanent: false }];
  let upload = null; // { sha, len, off, data }
  let resets = 0;
  let silentUntil = 0;
  let queue = Promise.resolve();

  const hashOf = (s) => sha256(s.data);
  const saveState = () =>
    writeFileSync(
      join(stateDir, 'images.json'),
      JSON.stringify({ resets, slots: slots.map((s) => ({ slot: s.slot, version: s.version, sha256: hashOf(s).toString('hex'), active: s.active, confirmed: s.confirmed, pending: s.pending, permanent: s.permanent })) }),
    );
  saveState();

  const knob = (name, dflt) => {
    try {
      return Number(readFileSync(join(stateDir, name), 'utf8').trim()) || dflt;
    } catch {
      return dflt;
    }
  };
  const fileOf = (name) => {
    if (typeof name !== 'string' || !name.startsWith('/')) return null;
    const p = join(fsRoot, normalize(name));
    if (!p.startsWith(fsRoot + '/') || !existsSync(p) || !statSync(p).isFile()) return null;
    return readFileSync(p);
  };
  const stateBody = () => ({
    images: slots.map((s) => ({ image: 0, slot: s.slot, version: s.version, hash: bstr(hashOf(s)), bootable: true, pending: s.pending, confirmed: s.confirmed, active: s.active, permanent: s.permanent })),
    splitStatus: 0,
  });

  function fsCommand(h, b) {
    if (h.id === 3 && h.op === OP_READ) return { types: { crc32: { format: 0, size: 4 }, sha256: { format: 1, size: 32 } } };
    const file = fileOf(b.name);
    if (!file) return { rc: ENOENT };
    if (h.id === 0 && h.op === OP_READ) {
      const off = Number(b.off ?? 0);
      if (off > file.length) return { rc: EINVAL };
      appendFileSync(join(stateDir, 'requests.log'), `fs-read ${b.name} ${off}\n`);
      const data = file.subarray(off, off + CHUNK);
      return off === 0 ? { off, data: bstr(data), len: file.length } : { off, data: bstr(data) };
    }
    if (h.id === 1 && h.op === OP_READ) return { len: file.length };
    if (h.id === 2 && h.op === OP_READ) {
      const type = typeof b.type === 'string' ? b.type : 'crc32';
      const off = Number(b.off ?? 0);
      const len = b.len === undefined ? file.length - off : Math.min(Number(b.len), file.length - off);
      const part = file.subarray(off, off + len);
      if (type === 'sha256') return { type, off, len, output: bstr(sha256(part)) };
      if (type === 'crc32') return { type, off, len, output: crc32(part) };
      return { rc: ENOTSUP };
    }
    return { rc: ENOTSUP };
  }

  function imageCommand(h, b) {
    if (h.id === 0 && h.op === OP_READ) return stateBody();
    if (h.id === 0 && h.op === OP_WRITE) {
      const hash = b.hash instanceof Uint8Array ? Buffer.from(b.hash) : null;
      const target = hash ? slots.find((s) => hashOf(s).equals(hash)) : slots.find((s) => s.active);
      if (!target) return { rc: EINVAL };
      if (target.active) {
        if (b.confirm !== true) return { rc: EBADSTATE };
        target.confirmed = true;
      } else {
        target.pending = true;
        target.permanent = b.confirm === true;
      }
      saveState();
      return stateBody();
    }
    if (h.id === 1 && h.op === OP_WRITE) {
      const off = Number(b.off ?? -1);
      if (off < 0 || !(b.data instanceof Uint8Array)) return { rc: EINVAL };
      const sha = b.sha instanceof Uint8Array ? Buffer.from(b.sha) : null;
      appendFileSync(join(stateDir, 'requests.log'), `image-write ${off}\n`);
      if (off === 0) {
        const len = Number(b.len ?? 0);
        if (len <= 0) return { rc: EINVAL };
        // MCUmgr's resume: the same image (sha, len) mid-upload answers where the device stands.
        if (upload && sha && upload.sha?.equals(sha) && upload.len === len && upload.off > 0 && upload.off < len) return { off: upload.off };
        upload = { sha, len, off: 0, data: Buffer.alloc(len) };
        slots = slots.filter((s) => s.active);
      } else if (!upload || off !== upload.off) {
        return { off: upload?.off ?? 0 };
      }
      if (off + b.data.length > upload.len) return { rc: EINVAL };
      upload.data.set(b.data, off);
      upload.off = off + b.data.length;
      if (upload.off < upload.len) return { off: upload.off };
      const done = upload;
      upload = null;
      slots.push({ slot: 1, version: '1.1.0', data: done.data, active: false, confirmed: false, pending: false, permanent: false });
      saveState();
      return done.sha ? { off: done.off, match: sha256(done.data).equals(done.sha) } : { off: done.off };
    }
    return { rc: ENOTSUP };
  }

  function reset() {
    resets++;
    upload = null;
    const next = slots.find((s) => s.pending);
    if (next) {
      const old = slots.find((s) => s.active);
      slots = [
        { ...next, slot: 0, active: true, pending: false, confirmed: next.permanent, permanent: false },
        { ...old, slot: 1, active: false, pending: false, permanent: false },
      ];
    }
    // A rebooting device does not answer for a moment.
    silentUntil = Date.now() + 500;
    saveState();
    log(`reset #${resets}: running ${slots[0].version}`);
  }

  async function answer(packet) {
    const h = parseHeader(packet);
    if (!h || packet.length < 8 + h.length) return null;
    if (Date.now() < silentUntil) return null;
    const delay = knob('delay-ms', 0);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    let b = {};
    try {
      b = h.length > 0 ? decode(packet.subarray(8, 8 + h.length)) : {};
    } catch {
      return reply(h, { rc: EINVAL });
    }
    if (h.group === 8) return reply(h, fsCommand(h, b ?? {}));
    if (h.group === 1) return reply(h, imageCommand(h, b ?? {}));
    if (h.group === 0 && h.id === 5 && h.op === OP_WRITE) {
      // Zephyr answers first, then reboots.
      setTimeout(reset, 50);
      return reply(h, {});
    }
    return base(packet);
  }

  return {
    handle(packet) {
      const r = queue.then(() => answer(packet));
      queue = r.catch(() => null);
      return r;
    },
  };
}
