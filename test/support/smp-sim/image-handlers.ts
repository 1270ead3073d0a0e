// Simulated image group (1), following Zephyr's img_mgmt: uploads go to slot 1 in order; an opening
// request (off 0) whose "sha" matches the session in progress is answered with the offset to resume
// from; an out-of-order chunk is answered with the expected offset. Slot hash = SHA-256 of the data
// (a simplification: MCUboot hashes header + body from the image TLVs).
import { createHash } from 'node:crypto';
import type { SimHandler, SmpDeviceSim } from './smp-device-sim.js';
import { MGMT, SimFailure } from './sim-failure.js';

const IMG = 1;
const ERR = { HASH_NOT_FOUND: 8, INVALID_LENGTH: 21, INVALID_IMAGE_DATA_OVERRUN: 31, SETTING_TEST_TO_ACTIVE_DENIED: 33 } as const;

export interface SimImageSlot {
  slot: number;
  version: string;
  data: Uint8Array | undefined;
  hash: Uint8Array | undefined;
  active: boolean;
  confirmed: boolean;
  pending: boolean;
  permanent: boolean;
}

export interface ImageUploadContext {
  sha: Uint8Array | undefined;
  len: number;
  off: number;
  data: Uint8Array;
}

const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());
const same = (a: Uint8Array | undefined, b: Uint8Array | undefined) => !!a && !!b && Buffer.from(a).equals(Buffer.from(b));

export function initialImageSlots(): SimImageSlot[] {
  const running = new TextEncoder().encode('running firmware 1.0.0');
  return [
    { slot: 0, version: '1.0.0', data: running, hash: sha256(running), active: true, confirmed: true, pending: false, permanent: false },
    { slot: 1, version: '', data: undefined, hash: undefined, active: false, confirmed: false, pending: false, permanent: false },
  ];
}

function stateBody(sim: SmpDeviceSim) {
  return {
    images: sim.images.filter((s) => s.data).map((s) => ({
      image: 0, slot: s.slot, version: s.version, hash: s.hash, bootable: true,
      pending: s.pending, confirmed: s.confirmed, active: s.active, permanent: s.permanent,
    })),
    splitStatus: 0,
  };
}

export const imageHandlers: Record<string, SimHandler> = {
  [`${IMG}:0:0`]: (sim) => stateBody(sim),
  [`${IMG}:0:2`]: (sim, req) => {
    const confirm = req.body.confirm === true;
    const hash = req.body.hash instanceof Uint8Array ? req.body.hash : undefined;
    const active = sim.images.find((s) => s.active)!;
    if (!hash) {
      if (!confirm) throw SimFailure.mgmt(MGMT.EINVAL);
      active.confirmed = true;
      return stateBody(sim);
    }
    const target = sim.images.find((s) => same(s.hash, hash));
    if (!target) throw new SimFailure(IMG, ERR.HASH_NOT_FOUND, MGMT.EINVAL);
    if (target.active) {
      if (!confirm) throw new SimFailure(IMG, ERR.SETTING_TEST_TO_ACTIVE_DENIED, MGMT.EBADSTATE);
      target.confirmed = true;
    } else {
      target.pending = true;
      target.permanent = confirm;
    }
    return stateBody(sim);
  },
  [`${IMG}:1:2`]: (sim, req) => {
    const { body } = req;
    const off = Number(body.off ?? -1);
    const data = body.data;
    if (off < 0 || !(data instanceof Uint8Array)) throw SimFailure.mgmt(MGMT.EINVAL);
    const sha = body.sha instanceof Uint8Array ? body.sha : undefined;
    let up = sim.imageUpload;
    if (off === 0) {
      const len = Number(body.len ?? 0);
      if (len <= 0) throw new SimFailure(IMG, ERR.INVALID_LENGTH, MGMT.EINVAL);
      if (up && same(up.sha, sha) && up.len === len && up.off > 0 && up.off < len) return { off: up.off };
      up = { sha, len, off: 0, data: new Uint8Array(len) };
      sim.imageUpload = up;
      sim.images[1] = { ...sim.images[1]!, data: undefined, hash: undefined, pending: false, permanent: false };
    } else if (!up || off !== up.off) {
      return { off: up?.off ?? 0 };
    }
    if (off + data.length > up.len) throw new SimFailure(IMG, ERR.INVALID_IMAGE_DATA_OVERRUN, MGMT.EINVAL);
    up.data.set(data, off);
    up.off = off + data.length;
    if (up.off < up.len) return { off: up.off };
    sim.imageUpload = undefined;
    const hash = sha256(up.data);
    sim.images[1] = { slot: 1, version: sim.knobs.uploadedImageVersion, data: up.data, hash, active: false, confirmed: false, pending: false, permanent: false };
    return up.sha ? { off: up.off, match: same(up.sha, hash) } : { off: up.off };
  },
  [`${IMG}:5:2`]: (sim, req) => {
    const slot = Number(req.body.slot ?? 1);
    const target = sim.images[slot];
    if (!target || target.active) throw SimFailure.mgmt(MGMT.EINVAL);
    if (target.pending) throw SimFailure.mgmt(MGMT.EBADSTATE);
    sim.images[slot] = { ...target, data: undefined, hash: undefined, version: '', confirmed: false };
    sim.imageUpload = undefined;
    return {};
  },
};
