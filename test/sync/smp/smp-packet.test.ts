import { describe, expect, it } from 'vitest';
import { decode } from 'cbor2';
import { decodeBody, encodeBody } from '../../../src/sync/smp/smp-cbor.js';
import { fitData } from '../../../src/sync/smp/smp-chunking.js';
import { errorFromBody } from '../../../src/sync/smp/smp-errors.js';
import { decodeHeader, decodePacket, encodePacket, SmpOp } from '../../../src/sync/smp/smp-packet.js';
import { encodeSimBody } from '../../support/smp-sim/sim-cbor.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('SMP packet encoding', () => {
  it('encodes a v2 echo with seq 139 byte for byte', () => {
    const pkt = encodePacket({ op: SmpOp.WRITE, version: 2, flags: 0, group: 0, seq: 139, id: 0 }, encodeBody({ d: 'Hello world!' }));
    expect(hex(pkt)).toBe('0a00001000008b00a161646c48656c6c6f20776f726c6421');
  });

  it('puts the version in bits 3-4 of the op byte and reads v1 and v2 back', () => {
    const v1 = encodePacket({ op: SmpOp.READ, version: 1, flags: 0, group: 8, seq: 1, id: 2 }, new Uint8Array());
    expect(v1[0]).toBe(0x00);
    expect(decodeHeader(v1)).toMatchObject({ op: 0, version: 1, group: 8, seq: 1, id: 2, length: 0 });
    const v2 = encodePacket({ op: SmpOp.WRITE_RSP, version: 2, flags: 0, group: 0x1234, seq: 255, id: 7 }, new Uint8Array([0xa0]));
    expect(hex(v2.subarray(0, 8))).toBe('0b00000112 34ff07'.replace(/ /g, ''));
    expect(decodeHeader(v2)).toMatchObject({ op: 3, version: 2, group: 0x1234, seq: 255, id: 7, length: 1 });
  });

  it('rejects a packet whose header length disagrees with its body', () => {
    const pkt = encodePacket({ op: 1, version: 1, flags: 0, group: 0, seq: 0, id: 0 }, new Uint8Array([0xa0]));
    expect(() => decodePacket(pkt.subarray(0, 8))).toThrow(/says 1 body bytes/);
  });
});

describe('SMP CBOR bodies', () => {
  it('decodes indefinite-length maps the way zcbor sends them', () => {
    const body = { off: 0, data: new Uint8Array([1, 2, 3]), len: 3, nested: { a: [1, 2] } };
    const bytes = encodeSimBody(body, true);
    expect(bytes[0]).toBe(0xbf);
    expect(decodeBody(bytes)).toEqual(body);
  });

  it('encodes definite-length maps', () => {
    expect(encodeBody({ a: 1 })[0]).toBe(0xa1);
    expect(decode(encodeBody({ a: 1 }))).toEqual({ a: 1 });
  });

  it('treats an empty body as an empty map and rejects non-maps', () => {
    expect(decodeBody(new Uint8Array())).toEqual({});
    expect(() => decodeBody(new Uint8Array([0x01]))).toThrow(/not a CBOR map/);
  });
});

describe('SMP error bodies', () => {
  it('maps a legacy rc to its mcumgr name', () => {
    const e = errorFromBody(8, { rc: 5 });
    expect(e).toMatchObject({ code: 'DEVICE_ERROR', rc: 5, rcName: 'MGMT_ERR_ENOENT', groupScoped: false, groupName: 'fs' });
  });

  it('maps a v2 err to the group-scoped name', () => {
    const e = errorFromBody(1, { err: { group: 1, rc: 9 } });
    expect(e).toMatchObject({ rc: 9, rcName: 'IMG_MGMT_ERR_NO_FREE_SLOT', groupScoped: true, group: 1 });
    expect(e!.message).toMatch(/image request with IMG_MGMT_ERR_NO_FREE_SLOT/);
  });

  it('reports success when rc is 0 or absent', () => {
    expect(errorFromBody(0, {})).toBeUndefined();
    expect(errorFromBody(0, { rc: 0 })).toBeUndefined();
    expect(errorFromBody(0, { err: { group: 0, rc: 0 } })).toBeUndefined();
  });
});

describe('chunk sizing', () => {
  it('fills a request exactly up to the packet limit', () => {
    for (const limit of [64, 127, 256, 300, 380, 1024, 2048]) {
      const fields = { off: 123456, name: '/lfs/data.bin', len: 999999 };
      const n = fitData(limit, fields);
      const size = 8 + encodeBody({ ...fields, data: new Uint8Array(n) }).length;
      expect(size).toBeLessThanOrEqual(limit);
      const bigger = 8 + encodeBody({ ...fields, data: new Uint8Array(n + 1) }).length;
      expect(bigger).toBeGreaterThan(limit);
    }
  });
});
