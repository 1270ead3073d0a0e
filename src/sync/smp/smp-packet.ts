// SMP packet = 8-byte header + CBOR body. Header byte 0 is [res:3][ver:2][op:3]; lengths and the group
// are big-endian. The header's Len must equal the body length, or the packet is rejected.
import { SMP_HEADER_SIZE } from '../../../drivers/smp-reassembler.js';
import { FerryError } from '../../errors.js';

export { SMP_HEADER_SIZE };

export const SmpOp = { READ: 0, READ_RSP: 1, WRITE: 2, WRITE_RSP: 3 } as const;
export type SmpOpCode = (typeof SmpOp)[keyof typeof SmpOp];

/** Protocol version as ferry names it: 1 = legacy (ver bits 0b00), 2 = SMP v2 (ver bits 0b01). */
export type SmpVersion = 1 | 2;

export interface SmpHeader {
  op: number;
  version: SmpVersion;
  flags: number;
  length: number;
  group: number;
  seq: number;
  id: number;
}

export interface SmpPacket {
  header: SmpHeader;
  body: Uint8Array;
}

export function encodeHeader(h: Omit<SmpHeader, 'length'> & { length: number }): Uint8Array {
  const out = new Uint8Array(SMP_HEADER_SIZE);
  out[0] = ((h.version === 2 ? 1 : 0) << 3) | (h.op & 0x07);
  out[1] = h.flags & 0xff;
  out[2] = (h.length >> 8) & 0xff;
  out[3] = h.length & 0xff;
  out[4] = (h.group >> 8) & 0xff;
  out[5] = h.group & 0xff;
  out[6] = h.seq & 0xff;
  out[7] = h.id & 0xff;
  return out;
}

export function decodeHeader(bytes: Uint8Array): SmpHeader {
  if (bytes.length < SMP_HEADER_SIZE) {
    throw new FerryError('PROTOCOL_ERROR', `SMP packet shorter than its header (${bytes.length} bytes)`);
  }
  const b0 = bytes[0]!;
  const verBits = (b0 >> 3) & 0x03;
  return {
    op: b0 & 0x07,
    // ver 0b10/0b11 are reserved; treat them as v2 so a newer device still gets parsed
    version: verBits === 0 ? 1 : 2,
    flags: bytes[1]!,
    length: (bytes[2]! << 8) | bytes[3]!,
    group: (bytes[4]! << 8) | bytes[5]!,
    seq: bytes[6]!,
    id: bytes[7]!,
  };
}

export function encodePacket(h: Omit<SmpHeader, 'length'>, body: Uint8Array): Uint8Array {
  if (body.length > 0xffff) throw new FerryError('TOO_LARGE', `SMP body of ${body.length} bytes exceeds 65535`);
  const out = new Uint8Array(SMP_HEADER_SIZE + body.length);
  out.set(encodeHeader({ ...h, length: body.length }), 0);
  out.set(body, SMP_HEADER_SIZE);
  return out;
}

export function decodePacket(bytes: Uint8Array): SmpPacket {
  const header = decodeHeader(bytes);
  const bodyLen = bytes.length - SMP_HEADER_SIZE;
  if (header.length !== bodyLen) {
    throw new FerryError('PROTOCOL_ERROR', `SMP header says ${header.length} body bytes, packet has ${bodyLen}`);
  }
  return { header, body: bytes.subarray(SMP_HEADER_SIZE) };
}
