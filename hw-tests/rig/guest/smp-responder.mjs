// Device side of SMP (MCUmgr) for the rig's simulated devices: answers like Zephyr's smp_svr for
// OS echo, MCUmgr params and image state, and "not supported" (rc 8) for the rest. Written apart
// from ferry's client on purpose, so one misreading of the protocol cannot hide on both sides.
import { decode, encode } from 'cbor2';

const OP_READ = 0;
const OP_WRITE = 2;
const MGMT_ERR_ENOTSUP = 8;

/** Header: op(3 bits)+version, flags, length BE16, group BE16, sequence, command id. */
export function parseHeader(buf) {
  if (buf.length < 8) return null;
  return { op: buf[0] & 0x07, version: (buf[0] >> 3) & 0x03, flags: buf[1], length: buf.readUInt16BE(2), group: buf.readUInt16BE(4), seq: buf[6], id: buf[7] };
}

function reply(h, body) {
  const payload = Buffer.from(encode(body));
  const out = Buffer.alloc(8);
  out[0] = ((h.version & 0x03) << 3) | (h.op + 1);
  out[1] = 0;
  out.writeUInt16BE(payload.length, 2);
  out.writeUInt16BE(h.group, 4);
  out[6] = h.seq;
  out[7] = h.id;
  return Buffer.concat([out, payload]);
}

/** Returns a responder: `handle(packet) -> response | null` (null: not a whole request). */
export function createSmpResponder({ bufSize = 512, log = () => {} } = {}) {
  const imageHash = Buffer.alloc(32, 0xab);
  return function handle(packet) {
    const h = parseHeader(packet);
    if (!h || packet.length < 8 + h.length) return null;
    let body = {};
    try {
      body = h.length > 0 ? decode(packet.subarray(8, 8 + h.length)) : {};
    } catch {
      return reply(h, { rc: 3 }); // MGMT_ERR_EINVAL
    }
    log(`smp op=${h.op} group=${h.group} id=${h.id} seq=${h.seq}`);
    if (h.group === 0 && h.id === 0 && h.op === OP_WRITE) return reply(h, { r: String(body?.d ?? '') });
    if (h.group === 0 && h.id === 6 && h.op === OP_READ) return reply(h, { buf_size: bufSize, buf_count: 4 });
    if (h.group === 1 && h.id === 0 && h.op === OP_READ) {
      return reply(h, { images: [{ image: 0, slot: 0, version: '1.0.0', hash: imageHash, bootable: true, pending: false, confirmed: true, active: true, permanent: false }], splitStatus: 0 });
    }
    return reply(h, { rc: MGMT_ERR_ENOTSUP });
  };
}
