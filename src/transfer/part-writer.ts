// Appends response chunks to the part file in large writev batches, so the socket keeps flowing while
// the previous batch is on its way to disk (at most one write in flight). Invariant: bytes reach the
// file in arrival order; after close() the file holds exactly what was accepted, or close() rejects.
import { open, type FileHandle } from 'node:fs/promises';

export interface PartWriter {
  /** Queues a chunk. false: a batch is full while a write is in flight, pause the source until `onReady`. */
  write(chunk: Buffer): boolean;
  /** Called when a paused source may continue, or when a write failed (see `error`). */
  onReady: (() => void) | null;
  readonly error: unknown;
  /** Writes what is queued, fsyncs when `durable`, closes. Rejects with the first write error. */
  close(durable: boolean): Promise<void>;
}

/** Writes every byte of `bufs`, continuing after short writes. */
async function writeAll(fh: FileHandle, bufs: Buffer[]): Promise<void> {
  let rest = bufs;
  while (rest.length > 0) {
    const { bytesWritten } = await fh.writev(rest);
    let skip = bytesWritten;
    while (rest.length > 0 && skip >= rest[0]!.length) {
      skip -= rest[0]!.length;
      rest = rest.slice(1);
    }
    if (skip > 0) rest = [rest[0]!.subarray(skip), ...rest.slice(1)];
  }
}

export async function openPartWriter(file: string, batchBytes: number): Promise<PartWriter> {
  const fh = await open(file, 'a');
  let queue: Buffer[] = [];
  let queued = 0;
  let inflight: Promise<void> | null = null;
  let error: unknown = null;

  const flush = (): void => {
    const bufs = queue;
    queue = [];
    queued = 0;
    inflight = writeAll(fh, bufs).then(
      () => {
        inflight = null;
        if (queued >= batchBytes) flush();
        else w.onReady?.();
      },
      (e: unknown) => {
        inflight = null;
        error ??= e;
        w.onReady?.();
      },
    );
  };

  const w: PartWriter = {
    onReady: null,
    get error() {
      return error;
    },
    write(chunk) {
      queue.push(chunk);
      queued += chunk.length;
      if (queued < batchBytes) return true;
      if (inflight === null && error === null) {
        flush();
        return true;
      }
      return false;
    },
    async close(durable) {
      try {
        while (inflight) await inflight;
        if (error === null && queued > 0) {
          flush();
          while (inflight) await inflight;
        }
        if (error === null && durable) await fh.sync();
      } finally {
        await fh.close().catch(() => undefined);
      }
      if (error !== null) throw error;
    },
  };
  return w;
}
