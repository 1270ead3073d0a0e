// Appends response chunks to the part file in large writev batches, so the socket keeps flowing while
// the previous batch is on its way to disk (at most one write in flight). On slow links a short timer
// writes smaller batches, so a killed agent loses at most ~FLUSH_AFTER_MS of received data.
// Created synchronously so the body can be consumed at once; nothing is written before release().
import { open, type FileHandle } from 'node:fs/promises';

export interface PartWriter {
  /** Settles once the file is open (and truncated when asked); never rejects, see `error`. */
  readonly opened: Promise<void>;
  /** Queues a chunk. false: the source should pause until `onReady`. */
  write(chunk: Buffer): boolean;
  /** Allows writing; until then chunks are only queued. */
  release(): void;
  /** Called when a paused source may continue, or when opening/writing failed (see `error`). */
  onReady: (() => void) | null;
  readonly error: unknown;
  /** Writes what is queued, fsyncs when `durable`, closes. Rejects with the first error. */
  close(durable: boolean): Promise<void>;
}

const FLUSH_AFTER_MS = 200;

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

export function createPartWriter(file: string, batchBytes: number, truncate: boolean): PartWriter {
  let fh: FileHandle | null = null;
  let queue: Buffer[] = [];
  let queued = 0;
  let inflight: Promise<void> | null = null;
  let released = false;
  let error: unknown = null;
  let timer: NodeJS.Timeout | null = null;

  const fail = (e: unknown): void => {
    error ??= e;
    w.onReady?.();
  };
  const opened = open(file, truncate ? 'w' : 'a').then(
    (h) => {
      fh = h;
    },
    fail,
  );

  const canFlush = (): boolean => released && fh !== null && inflight === null && error === null;
  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = null;
    const bufs = queue;
    queue = [];
    queued = 0;
    inflight = writeAll(fh!, bufs).then(() => {
      inflight = null;
      if (queued >= batchBytes && canFlush()) flush();
      else {
        armTimer();
        w.onReady?.();
      }
    }, (e: unknown) => {
      inflight = null;
      fail(e);
    });
  };

  // A partial batch is written after a while, not only when full.
  const armTimer = (): void => {
    if (timer || queued === 0) return;
    timer = setTimeout(() => {
      timer = null;
      if (queued > 0 && canFlush()) flush();
      else if (error === null) armTimer();
    }, FLUSH_AFTER_MS);
    timer.unref();
  };

  const w: PartWriter = {
    opened,
    onReady: null,
    get error() {
      return error;
    },
    write(chunk) {
      queue.push(chunk);
      queued += chunk.length;
      if (queued < batchBytes) {
        armTimer();
        return true;
      }
      if (canFlush()) {
        flush();
        return true;
      }
      return false;
    },
    release() {
      released = true;
      void opened.then(() => {
        if (queued >= batchBytes && canFlush()) flush();
        else w.onReady?.();
      });
    },
    async close(durable) {
      if (timer) clearTimeout(timer);
      timer = null;
      await opened;
      try {
        while (inflight) await inflight;
        if (error === null && queued > 0 && released) {
          flush();
          while (inflight) await inflight;
        }
        if (error === null && durable) await fh?.sync();
      } finally {
        await fh?.close().catch(() => undefined);
      }
      if (error !== null) throw error;
    },
  };
  return w;
}
