import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { crc16Xmodem } from '../../../drivers/serial/crc16.js';
import { encodeSerialFrames, framedLength, SerialFrameDecoder, type DropReason } from '../../../drivers/serial/serial-framing.js';

function collect(opts?: ConstructorParameters<typeof SerialFrameDecoder>[1]) {
  const packets: Uint8Array[] = [];
  const drops: DropReason[] = [];
  const text: string[] = [];
  const dec = new SerialFrameDecoder({ onPacket: (p) => packets.push(p), onDrop: (r) => drops.push(r), onText: (t) => text.push(t) }, opts);
  return { dec, packets, drops, text };
}

const join = (frames: Uint8Array[]) => Buffer.concat(frames.map((f) => Buffer.from(f)));

describe('CRC-16/XMODEM', () => {
  it('matches the check value for "123456789"', () => {
    expect(crc16Xmodem(new TextEncoder().encode('123456789'))).toBe(0x31c3);
  });

  it('is zero over data followed by its big-endian CRC', () => {
    const d = new Uint8Array(randomBytes(50));
    const c = crc16Xmodem(d);
    expect(crc16Xmodem(Uint8Array.from([...d, c >> 8, c & 0xff]))).toBe(0);
  });
});

describe('SMP console framing', () => {
  it('frames a small packet as one start frame with length, body and CRC', () => {
    const pkt = Buffer.from('0a00001000008b00a161646c48656c6c6f20776f726c6421', 'hex');
    const [frame, ...rest] = encodeSerialFrames(pkt);
    expect(rest).toHaveLength(0);
    expect([...frame!.subarray(0, 2)]).toEqual([0x06, 0x09]);
    expect(frame!.at(-1)).toBe(0x0a);
    const raw = Buffer.from(Buffer.from(frame!.subarray(2, -1)).toString(), 'base64');
    expect(raw.readUInt16BE(0)).toBe(pkt.length + 2);
    expect(raw.subarray(2, 2 + pkt.length)).toEqual(pkt);
    expect(raw.readUInt16BE(raw.length - 2)).toBe(crc16Xmodem(pkt));
  });

  it('splits large packets into frames within the line length, each whole base64 quads', () => {
    for (const lineLength of [127, 512, 64]) {
      const pkt = new Uint8Array(randomBytes(1000));
      const frames = encodeSerialFrames(pkt, lineLength);
      expect(frames.length).toBeGreaterThan(1);
      frames.forEach((f, i) => {
        expect(f.length).toBeLessThanOrEqual(lineLength);
        expect([...f.subarray(0, 2)]).toEqual(i === 0 ? [0x06, 0x09] : [0x04, 0x14]);
        expect((f.length - 3) % 4).toBe(0);
      });
      expect(join(frames).length).toBe(framedLength(pkt.length, lineLength));
      const { dec, packets } = collect();
      dec.push(join(frames));
      expect(packets).toEqual([pkt]);
    }
  });

  it('reassembles packets fed one byte at a time, between console log lines', () => {
    const a = new Uint8Array(randomBytes(300));
    const b = new Uint8Array(randomBytes(5));
    const stream = Buffer.concat([Buffer.from('[00:00:01] <inf> boot\r\n'), join(encodeSerialFrames(a)), Buffer.from('log line\n'), join(encodeSerialFrames(b))]);
    const { dec, packets, text, drops } = collect();
    for (const byte of stream) dec.push(Uint8Array.of(byte));
    expect(packets).toEqual([a, b]);
    expect(text).toEqual(['[00:00:01] <inf> boot', 'log line']);
    expect(drops).toEqual([]);
  });

  it('drops a packet with a bad CRC and reports it, then decodes the next one', () => {
    const frames = encodeSerialFrames(new Uint8Array(randomBytes(200)));
    const last = frames.at(-1)!;
    const raw = Buffer.from(Buffer.from(last.subarray(2, -1)).toString(), 'base64');
    raw[raw.length - 1]! ^= 0x01;
    frames[frames.length - 1] = Uint8Array.from([0x04, 0x14, ...Buffer.from(raw.toString('base64')), 0x0a]);
    const good = new Uint8Array(randomBytes(20));
    const { dec, packets, drops } = collect();
    dec.push(join(frames));
    dec.push(join(encodeSerialFrames(good)));
    expect(drops).toEqual(['crc']);
    expect(packets).toEqual([good]);
  });

  it('drops continuation frames without a start and over-long lines', () => {
    const frames = encodeSerialFrames(new Uint8Array(randomBytes(300)));
    const { dec, packets, drops } = collect({ maxLineLength: 126 });
    dec.push(join(frames.slice(1)));
    expect(drops[0]).toBe('orphan-continuation');
    dec.push(join(encodeSerialFrames(new Uint8Array(10), 512)));
    dec.push(join(encodeSerialFrames(new Uint8Array(400), 512)));
    expect(drops).toContain('line-too-long');
    expect(packets).toEqual([new Uint8Array(10)]);
  });
});
