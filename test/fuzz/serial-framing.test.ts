// Fuzzing the SMP serial framing decoder with what a noisy or hostile serial line carries: random
// bytes, frames with wrong lengths and CRCs, console text between frames, overlong lines. Properties:
// never throws, holds at most one line and one packet, and valid packets between garbage still arrive.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeSerialFrames, SerialFrameDecoder, type DropReason } from '../../drivers/serial/serial-framing.js';
import { runsFor } from './fuzz-setup.js';

const MAX_LINE = 256;
const MAX_PACKET = 1024;

/** A line as a serial port shows it: SMP-looking frames (right or wrong), console text, noise. */
const garbageLine = fc.oneof(
  fc.uint8Array({ maxLength: 60 }).map((b) => Uint8Array.from(b.filter((x) => x !== 0x0a))),
  fc.tuple(fc.constantFrom([0x06, 0x09], [0x04, 0x14]), fc.base64String({ maxLength: 40 })).map(([m, t]) => Uint8Array.from([...m, ...Buffer.from(t, 'latin1')])),
  fc.constantFrom('\x06\x09//8=', '\x06\x09AAA=', '\x06\x09AAE=', '\x04\x14AAAA', '\x06\x09!!!!', 'uart:~$ ', 'x'.repeat(300)).map((t) => Uint8Array.from(Buffer.from(t, 'latin1'))),
).map((b) => Uint8Array.from([...b, 0x0a]));

describe('fuzz: serial framing', () => {
  it('never throws on random bytes cut anywhere, and emits only CRC-checked packets within limits', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.uint8Array({ maxLength: 80 }), garbageLine), { maxLength: 8 }), (chunks) => {
        const packets: Uint8Array[] = [];
        const drops: DropReason[] = [];
        const d = new SerialFrameDecoder({ onPacket: (p) => packets.push(p), onDrop: (r) => drops.push(r), onText: () => undefined }, { maxLineLength: MAX_LINE, maxPacketLength: MAX_PACKET });
        for (const c of chunks) d.push(c);
        for (const p of packets) expect(p.length).toBeLessThanOrEqual(MAX_PACKET);
      }),
      runsFor('serial-framing-noise', 150_000),
    );
  }, 600_000);

  it('delivers every valid packet that follows garbage lines, whatever the chunking', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.array(garbageLine, { maxLength: 3 }), fc.uint8Array({ minLength: 1, maxLength: 300 })), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 7, max: 200 }),
        fc.integer({ min: 1, max: 64 }),
        (items, lineLength, chunk) => {
          const wire: number[] = [];
          for (const [garbage, packet] of items) {
            for (const g of garbage) wire.push(...g);
            for (const f of encodeSerialFrames(packet, lineLength)) wire.push(...f);
          }
          const got: Uint8Array[] = [];
          const d = new SerialFrameDecoder({ onPacket: (p) => got.push(Uint8Array.from(p)) }, { maxLineLength: MAX_LINE, maxPacketLength: MAX_PACKET });
          const bytes = Uint8Array.from(wire);
          for (let at = 0; at < bytes.length; at += chunk) d.push(bytes.subarray(at, at + chunk));
          // A garbage start frame may swallow nothing of a later packet: each packet starts with its own start frame.
          for (const [, packet] of items) expect(got.some((g) => Buffer.from(g).equals(Buffer.from(packet)))).toBe(true);
        },
      ),
      runsFor('serial-framing-resync', 30_000),
    );
  }, 600_000);
});
