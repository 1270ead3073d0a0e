// SMP console framing: packet = BE16 length (body + CRC) | SMP packet | CRC-16/XMODEM (BE), base64'd
// and cut into newline-terminated frames of at most `lineLength` bytes; the first starts 0x06 0x09,
// the rest 0x04 0x14. Each frame holds whole base64 quads, as Zephyr decodes frame by frame.
import { crc16Xmodem } from './crc16.js';

export const DEFAULT_LINE_LENGTH = 127;
const START = [0x06, 0x09] as const;
const CONT = [0x04, 0x14] as const;
const NL = 0x0a;

/** Raw (pre-base64) bytes one frame carries: marker (2) and newline (1) are outside the base64. */
export function rawBytesPerFrame(lineLength: number): number {
  const raw = Math.floor((lineLength - 3) / 4) * 3;
  if (raw < 3) throw new RangeError(`line length ${lineLength} is too short for SMP framing`);
  return raw;
}

/** Frames (each with marker and newline) that carry `packet`. */
export function encodeSerialFrames(packet: Uint8Array, lineLength = DEFAULT_LINE_LENGTH): Uint8Array[] {
  if (packet.length + 2 > 0xffff) throw new RangeError(`SMP packet of ${packet.length} bytes is too long for serial framing`);
  const raw = new Uint8Array(packet.length + 4);
  const len = packet.length + 2;
  raw[0] = len >> 8;
  raw[1] = len & 0xff;
  raw.set(packet, 2);
  const crc = crc16Xmodem(packet);
  raw[raw.length - 2] = crc >> 8;
  raw[raw.length - 1] = crc & 0xff;
  const per = rawBytesPerFrame(lineLength);
  const frames: Uint8Array[] = [];
  for (let at = 0; at < raw.length; at += per) {
    const b64 = Buffer.from(raw.buffer, raw.byteOffset + at, Math.min(per, raw.length - at)).toString('base64');
    const frame = new Uint8Array(b64.length + 3);
    frame.set(at === 0 ? START : CONT, 0);
    frame.set(Buffer.from(b64, 'latin1'), 2);
    frame[frame.length - 1] = NL;
    frames.push(frame);
  }
  return frames;
}

/** Total wire bytes for a packet (for throughput maths). */
export function framedLength(packetLength: number, lineLength = DEFAULT_LINE_LENGTH): number {
  const raw = packetLength + 4;
  const per = rawBytesPerFrame(lineLength);
  const full = Math.floor(raw / per);
  const rest = raw % per;
  return full * ((per / 3) * 4 + 3) + (rest ? Math.ceil(rest / 3) * 4 + 3 : 0);
}

export type DropReason = 'crc' | 'length' | 'base64' | 'orphan-continuation' | 'line-too-long' | 'too-large';

export interface SerialDecoderEvents {
  onPacket(packet: Uint8Array): void;
  onDrop?(reason: DropReason, detail: string): void;
  /** Lines that are not SMP frames (device console/log output). */
  onText?(line: string): void;
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Reassembles packets from a byte stream. Garbled or incomplete packets are dropped (reported via
 * onDrop) and the decoder resynchronises on the next start frame.
 */
export class SerialFrameDecoder {
  private line: number[] = [];
  private overlong = false;
  private acc: Uint8Array | undefined;
  private accLen = 0;
  private expected = 0;

  constructor(
    private readonly events: SerialDecoderEvents,
    private readonly opts: { maxLineLength?: number; maxPacketLength?: number } = {},
  ) {}

  push(chunk: Uint8Array): void {
    const maxLine = this.opts.maxLineLength ?? 8192;
    for (const byte of chunk) {
      if (byte === NL) {
        if (this.overlong) this.drop('line-too-long', `line over ${maxLine} bytes`);
        else this.handleLine(Uint8Array.from(this.line));
        this.line = [];
        this.overlong = false;
      } else if (this.line.length >= maxLine) {
        this.overlong = true;
      } else {
        this.line.push(byte);
      }
    }
  }

  private handleLine(line: Uint8Array): void {
    let end = line.length;
    if (end > 0 && line[end - 1] === 0x0d) end--;
    const isStart = line[0] === START[0] && line[1] === START[1];
    const isCont = line[0] === CONT[0] && line[1] === CONT[1];
    if (!isStart && !isCont) {
      if (end > 0) this.events.onText?.(Buffer.from(line.subarray(0, end)).toString('utf8'));
      return;
    }
    const text = Buffer.from(line.subarray(2, end)).toString('latin1');
    if (text.length % 4 !== 0 || !B64.test(text)) return this.drop('base64', 'frame is not whole base64 quads');
    const bytes = Buffer.from(text, 'base64');
    if (isStart) {
      if (this.acc) this.drop('length', 'new packet started before the previous one completed');
      if (bytes.length < 2) return this.drop('length', 'start frame without length');
      this.expected = (bytes[0]! << 8) | bytes[1]!;
      const max = (this.opts.maxPacketLength ?? 0xffff) + 2;
      if (this.expected < 2 || this.expected > max) {
        const bad = this.expected;
        this.expected = 0;
        return this.drop('too-large', `packet length ${bad}`);
      }
      this.acc = new Uint8Array(this.expected);
      this.accLen = 0;
      this.append(bytes.subarray(2));
    } else {
      if (!this.acc) return this.drop('orphan-continuation', 'continuation frame without a start frame');
      this.append(bytes);
    }
  }

  private append(bytes: Uint8Array): void {
    const acc = this.acc!;
    if (this.accLen + bytes.length > acc.length) {
      this.reset();
      return this.drop('length', 'frames carry more bytes than the packet length says');
    }
    acc.set(bytes, this.accLen);
    this.accLen += bytes.length;
    if (this.accLen < acc.length) return;
    this.reset();
    if (crc16Xmodem(acc) !== 0) return this.drop('crc', `bad CRC on a ${acc.length - 2}-byte packet`);
    this.events.onPacket(acc.subarray(0, acc.length - 2));
  }

  private reset(): void {
    this.acc = undefined;
    this.accLen = 0;
    this.expected = 0;
  }

  private drop(reason: DropReason, detail: string): void {
    this.events.onDrop?.(reason, detail);
  }
}
