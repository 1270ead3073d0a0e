// CBOR for SMP bodies: encodes definite-length maps (what every server accepts) and decodes both
// definite and indefinite-length maps (Zephyr's zcbor emits indefinite ones).
import { decode, encode } from 'cbor2';
import { FerryError } from '../../errors.js';

export type SmpBody = Record<string, unknown>;

export function encodeBody(body: SmpBody): Uint8Array {
  return encode(plainBytes(body));
}

// cbor2 encodes a Node Buffer through its toJSON() ({type:'Buffer', data:[…]}), not as a byte string,
// so Buffers anywhere in a body are viewed as plain Uint8Arrays first.
function plainBytes(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (Array.isArray(v)) return v.map(plainBytes);
  if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array) && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = plainBytes(x);
    return out;
  }
  return v;
}

export function decodeBody(bytes: Uint8Array): SmpBody {
  // An empty body is a legitimate "OK, nothing to say" from some servers.
  if (bytes.length === 0) return {};
  let value: unknown;
  try {
    value = decode(bytes);
  } catch (e) {
    throw new FerryError('PROTOCOL_ERROR', `SMP body is not valid CBOR: ${(e as Error).message}`, { cause: e });
  }
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), v]));
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) {
    throw new FerryError('PROTOCOL_ERROR', 'SMP body is not a CBOR map');
  }
  return value as SmpBody;
}

/** Length of a CBOR byte-string head for a payload of `n` bytes. */
export function bstrHeadLength(n: number): number {
  if (n < 24) return 1;
  if (n < 0x100) return 2;
  if (n < 0x10000) return 3;
  return 5;
}
