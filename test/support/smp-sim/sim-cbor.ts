// CBOR as the simulated device writes it: definite maps, or (knob) indefinite-length maps and
// arrays the way Zephyr's zcbor emits them, so clients are tested against both.
import { encode } from 'cbor2';

export function encodeSimBody(value: unknown, indefinite: boolean): Uint8Array {
  return indefinite ? Uint8Array.from(indefiniteBytes(value)) : encode(value);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function indefiniteBytes(value: unknown): number[] {
  if (Array.isArray(value)) return [0x9f, ...value.flatMap((v) => indefiniteBytes(v)), 0xff];
  if (isPlainObject(value)) {
    const out = [0xbf];
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      out.push(...encode(k), ...indefiniteBytes(v));
    }
    out.push(0xff);
    return out;
  }
  return [...encode(value)];
}
