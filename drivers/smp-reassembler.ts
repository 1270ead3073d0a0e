// Rebuilds whole SMP packets from a byte stream cut anywhere (BLE notifications, USB bulk reads).
// Invariant: the buffer always starts at an SMP header; packet length = 8 + Len (header bytes 2-3, BE).
import { TransportError } from './transport.js';

export const SMP_HEADER_SIZE = 8;

/** Total size of the SMP packet whose header starts `bytes`, or undefined if the header is incomplete. */
export function smpPacketLength(bytes: Uint8Array): number | undefined {
  if (bytes.length < SMP_HEADER_SIZE) return undefined;
  return SMP_HEADER_SIZE + ((bytes[2]! << 8) | bytes[3]!);
}

export class SmpReassembler {
  private buf: Uint8Array = new Uint8Array(0);

  constructor(private readonly maxPacketSize = SMP_HEADER_SIZE + 0xffff) {}

  /** Bytes held towards an incomplete packet. */
  get pending(): number {
    return this.buf.length;
  }

  reset(): void {
    this.buf = new Uint8Array(0);
  }

  /**
   * Adds bytes and returns the packets they complete (possibly none, possibly several).
   * Throws TransportError IO, dropping what it held, if a header announces more than maxPacketSize.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    if (chunk.length === 0) return [];
    const joined = new Uint8Array(this.buf.length + chunk.length);
    joined.set(this.buf, 0);
    joined.set(chunk, this.buf.length);
    const out: Uint8Array[] = [];
    let start = 0;
    for (;;) {
      const rest = joined.subarray(start);
      const len = smpPacketLength(rest);
      if (len === undefined || rest.length < len) break;
      out.push(rest.slice(0, len));
      start += len;
    }
    this.buf = joined.slice(start);
    const announced = smpPacketLength(this.buf);
    if (announced !== undefined && announced > this.maxPacketSize) {
      this.reset();
      throw new TransportError('IO', `SMP header announces a ${announced}-byte packet, over the ${this.maxPacketSize}-byte limit`);
    }
    return out;
  }
}
