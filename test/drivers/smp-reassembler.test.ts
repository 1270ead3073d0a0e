import { describe, expect, it } from 'vitest';
import { SmpReassembler, smpPacketLength } from '../../drivers/smp-reassembler.js';
import { smpPacket } from '../support/ble-sim/smp-echo-responder.js';

describe('SmpReassembler', () => {
  const a = smpPacket(3, 0, 1, 0, new Uint8Array(300).fill(0xaa));
  const b = smpPacket(3, 0, 2, 0, new Uint8Array(5).fill(0xbb));

  it('reads the packet length from header bytes 2-3 big-endian', () => {
    expect(smpPacketLength(a)).toBe(308);
    expect(smpPacketLength(a.subarray(0, 7))).toBeUndefined();
  });

  it('yields a packet only when its last byte arrives, whatever the cut points', () => {
    const r = new SmpReassembler();
    const stream = new Uint8Array([...a, ...b]);
    // Uneven pieces: inside the header, at its end, mid-payload, exactly at a's end, inside b.
    const pieces = [3, 2, 3, 192, 108, 3, stream.length - 311];
    const seen: number[] = [];
    const out: Uint8Array[] = [];
    let off = 0;
    for (const n of pieces) {
      const got = r.push(stream.subarray(off, off + n));
      out.push(...got);
      off += n;
      seen.push(got.length);
    }
    expect(seen).toEqual([0, 0, 0, 0, 1, 0, 1]);
    expect(out).toEqual([a, b]);
    expect(r.pending).toBe(0);
  });

  it('returns two packets that arrive in one chunk', () => {
    expect(new SmpReassembler().push(new Uint8Array([...b, ...b]))).toEqual([b, b]);
  });

  it('rejects a header announcing more than the limit and starts over', () => {
    const r = new SmpReassembler(100);
    expect(() => r.push(a.subarray(0, 10))).toThrow(/over the 100-byte limit/);
    expect(r.pending).toBe(0);
    expect(r.push(b)).toEqual([b]);
  });
});
