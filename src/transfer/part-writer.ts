// Appends response chunks to the part file in large writev batches, so the socket keeps flowing while
// the previous batch is on its way to disk (at most one write in flight). On slow links a short timer
// writes smaller batches, so a killed agent loses at most ~FLUSH_AFTER_MS of received data.
// Created synchronously so the body can be consumed at once; nothing is written before release().
// Checkpoints: at most every CHECKPOINT_MS the file is fsynced and only then `onDurable` reports the
// size on disk, so a recorded offset never counts bytes a power cut could turn into zeros.

/** What the writer needs of an open part file (system/fd-file.ts, opened by part-file.ts). */
export interface PartHandle {
  writev(buffers: Buffer[]): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

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

export interface PartWriterOptions {
  /** Opens the part file (appending; emptied first when the download starts from zero). */
  open: () => Promise<PartHandle>;
  batchBytes: number;
  /** Bytes already in the file: the offsets given to onDurable count from 0 of the file. */
  startOffset: number;
  /** The file is fsynced up to this size; the caller may now record it as the resume offset. */
  onDurable?: (bytesOnDisk: number) => void;
  checkpointMs?: number;
  now?: () => number;
}

const FLUSH_AFTER_MS = 200;
const CHECKPOINT_MS = 1000;

/** Writes every byte of `bufs`, continuing after short writes. */
async function writeAll(fh: PartHandle, bufs: Buffer[]): Promise<void> {
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

export function createPartWriter(o: PartWriterOptions): PartWriter {
  const { batchBytes } = o;
  const now = o.now ?? Date.now;
  const checkpointMs = o.checkpointMs ?? CHECKPOINT_MS;
  let onDisk = o.startOffset;
  let synced = o.startOffset;
  let syncedAt = now();
  let fh: PartHandle | null = null;
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
  const opened = o.open().then(
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
    const size = onDisk + bufs.reduce((n, b) => n + b.length, 0);
    inflight = writeAll(fh!, bufs).then(async () => {
      onDisk = size;
      // A checkpoint: fsync before the offset may be recorded (one writer step, so the socket waits).
      if (o.onDurable && onDisk > synced && now() - syncedAt >= checkpointMs) await checkpoint();
    }).then(() => {
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

  const checkpoint = async (): Promise<void> => {
    await fh!.sync();
    synced = onDisk;
    syncedAt = now();
    o.onDurable?.(synced);
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
        if (error === null && durable && fh) await checkpoint();
      } finally {
        await fh?.close().catch(() => undefined);
      }
      if (error !== null) throw error;
    },
  };
  return w;
}
