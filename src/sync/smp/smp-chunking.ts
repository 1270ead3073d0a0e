// Chunk sizing for uploads: the largest `data` that keeps header + CBOR map within the packet limit,
// computed from the exact encoding of the other fields, plus the source abstraction uploads read from.
import { FerryError } from '../../errors.js';
import { bstrHeadLength, encodeBody, type SmpBody } from './smp-cbor.js';
import { SMP_HEADER_SIZE } from './smp-packet.js';

/** Bytes of `data` that fit in a request carrying `fields` within `limit` bytes of packet. */
export function fitData(limit: number, fields: SmpBody): number {
  const withoutData = SMP_HEADER_SIZE + encodeBody({ ...fields, data: new Uint8Array(0) }).length - 1;
  const room = limit - withoutData;
  let n = room - 1;
  while (n > 0 && n + bstrHeadLength(n) > room) n--;
  return Math.max(n, 0);
}

/** What an upload reads from: bytes in memory, or a random-access reader (a file handle). */
export type UploadSource = Uint8Array | { size: number; read(offset: number, length: number): Promise<Uint8Array> };

export interface SourceReader {
  size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

export function asReader(source: UploadSource): SourceReader {
  if (source instanceof Uint8Array) {
    return { size: source.length, read: async (off, len) => source.subarray(off, off + len) };
  }
  return source;
}

/** Guards an upload loop against a device that keeps answering without moving forward. */
export class ProgressGuard {
  private best = -1;
  private stalls = 0;
  constructor(private readonly what: string, private readonly maxStalls = 3) {}
  check(offset: number): void {
    if (offset > this.best) {
      this.best = offset;
      this.stalls = 0;
      return;
    }
    if (++this.stalls > this.maxStalls) {
      throw new FerryError('NO_PROGRESS', `${this.what}: device stays at offset ${offset}`);
    }
  }
}

export function checkChunk(n: number, limit: number): void {
  if (n <= 0) throw new FerryError('TOO_LARGE', `SMP packet limit of ${limit} bytes leaves no room for data`);
}
