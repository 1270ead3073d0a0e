// Appends response chunks to the part file through one ring buffer per download: the source reads straight
// into the ring's free space when the writer lends it (`span`), else each chunk is copied in at once (so the
// socket's buffers are not held while a write is on its way), and one write at a
// time takes everything pending (one or two contiguous pieces), so writes grow with the link speed —
// up to the ring at loopback speed, MIN_WRITE on slow links. When the ring is nearly full the source is
// paused. What a SIGKILL can lose is what is pending: about MIN_WRITE, or MAX_AGE_MS of data on a slow
// link, plus the write in flight; never more than the ring, however slow the disk. No timers: the age is checked as chunks arrive, and
// close() writes the rest. Created synchronously so the body can be consumed at once; nothing is
// written before release().
// Checkpoints (when model/checkpoint-cadence.ts says one is due) fsync the file, and only then `onDurable` reports the
// size written before that fsync began, so a recorded offset never counts bytes a power cut could turn
// into zeros. The fsync runs beside the next writes (it covers what was written before it started).

import { FerryError } from '../errors.js';
import { checkpointDue } from '../model/checkpoint-cadence.js';

/** What the writer needs of an open part file (system/fd-file.ts, opened by part-file.ts). */
export interface PartHandle {
  writev(buffers: Buffer[]): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface PartWriter {
  /** Settles once the file is open (and truncated when asked); never rejects, see `error`. */
  readonly opened: Promise<void>;
  /** Copies a chunk in (the caller may reuse it once this returns). false: the source should pause until `onReady`.
   * A chunk that is a view of a span lent by `span()` is taken in place (no copy). */
  write(chunk: Buffer): boolean;
  /** Lends the ring's free space at the write position (at most `max` bytes) for the source's next read, or
   * null (too little room, data waiting, failed). Call it only right before a read and write what that read
   * brought before anything else: until then, nothing else is copied into the ring. */
  span(max: number): Buffer | null;
  /** Allows writing; until then chunks are only held. */
  release(): void;
  /** Called when a paused source may continue, or when opening/writing failed (see `error`). */
  onReady: (() => void) | null;
  /** Called after each completed write with the bytes written so far by this writer. */
  onWritten: ((written: number) => void) | null;
  readonly error: unknown;
  /** Writes what is pending, fsyncs when `durable` (then reports it through onDurable), closes. Rejects with the first error. */
  close(durable: boolean): Promise<void>;
}

export interface PartWriterOptions {
  /** Opens the part file (appending; emptied first when the download starts from zero). */
  open: () => Promise<PartHandle>;
  /** Bytes already in the file: the offsets given to onDurable count from 0 of the file. */
  startOffset: number;
  /** The file is fsynced up to this size; the caller may now record it as the resume offset. */
  onDurable?: (bytesOnDisk: number) => void;
  /** The checkpoint cadence (model/checkpoint-cadence.ts): bytes written since the last one, and its shortest gap. */
  checkpointBytes?: number;
  checkpointMs?: number;
  ringBytes?: number;
  now?: () => number;
}

// 1 MiB: what the ring holds is what a SIGKILL loses on top of the kernel's receive queue. At loopback speed
// 1 MiB against 2 MiB: the same throughput and CPU (eight alternating rounds of 1 GiB; 4 MiB bought nothing
// either). Not much less: a source paused before release() keeps the rest in the response body, which a
// dropped connection discards.
export const RING_BYTES = 1024 * 1024;
const MIN_WRITE = 256 * 1024;
const MAX_AGE_MS = 500;
const MIN_SPAN = 16 * 1024;
const CHECKPOINT_MS = 1000;
const CHECKPOINT_BYTES = 4 * 1024 * 1024;
// Pause below this much free space, so a paused source's next chunk still fits.
const PAUSE_BELOW = 256 * 1024;

// Rings are reused: a finished download's ring serves the next one. Each download used to leave its own
// 2 MiB behind for the GC, which V8 collects only once tens of MiB of such buffers have piled up (its
// external-memory trigger): 40 downloads of 8 MiB in a row grew an agent from 59 to 81 MiB. One spare is
// kept, and dropped after a quiet minute so an idle agent does not hold it.
const spare: Buffer[] = [];
let spareTimer: NodeJS.Timeout | null = null;
const SPARE_IDLE_MS = 60_000;

function takeRing(bytes: number): Buffer {
  // allocUnsafeSlow: a buffer of our own, outside the shared pool.
  return bytes === RING_BYTES && spare.length > 0 ? spare.pop()! : Buffer.allocUnsafeSlow(bytes);
}

function giveBack(ring: Buffer): void {
  if (spare.length > 0 || ring.length !== RING_BYTES) return; // smaller rings are tests'
  spare.push(ring);
  spareTimer?.refresh();
  if (spareTimer === null) {
    spareTimer = setTimeout(() => {
      spare.length = 0;
      spareTimer = null;
    }, SPARE_IDLE_MS);
    spareTimer.unref();
  }
}

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
  const ringBytes = o.ringBytes ?? RING_BYTES;
  const now = o.now ?? Date.now;
  const cadence = { checkpointMs: o.checkpointMs ?? CHECKPOINT_MS, checkpointBytes: o.checkpointBytes ?? CHECKPOINT_BYTES };
  let fh: PartHandle | null = null;
  const ring = takeRing(ringBytes);
  let closing = false; // from close() on, nothing more is taken in and nothing is lent
  let head = 0; // bytes copied in (monotonic)
  let tail = 0; // bytes written out (monotonic)
  let overflow: Buffer[] = []; // chunks that did not fit; the source is paused meanwhile
  let inflight: Promise<void> | null = null;
  let syncing: Promise<void> | null = null;
  let syncedAt = now();
  let syncedTail = 0; // `tail` when the last checkpoint began
  let pendingSince = 0;
  let released = false;
  let paused = false;
  let error: unknown = null;
  // A small ring (tests) must still write before it fills.
  const minWrite = Math.min(MIN_WRITE, ringBytes / 4);
  const pauseBelow = Math.min(PAUSE_BELOW, ringBytes / 4);

  const fail = (e: unknown): void => {
    error ??= e;
    try {
      w.onReady?.();
    } catch {
      // the source is told through `error` as well
    }
  };
  // The callbacks run inside this writer's promise handlers, which nobody else awaits: a throw there
  // (a progress record the database refused) fails the writer, never the process.
  const guarded = (f: () => void): void => {
    try {
      f();
    } catch (e) {
      fail(e);
    }
  };
  const opened = o.open().then(
    (h) => {
      fh = h;
    },
    fail,
  );

  /** Contiguous free bytes from the write position. */
  const room = (): number => Math.min(ringBytes - (head % ringBytes), ringBytes - (head - tail));

  /** A chunk read into a lent span: already in the ring, at or after the write position (after it when the
   * parser skipped framing). Moved down to close the gap; true when taken. */
  const takeInPlace = (chunk: Buffer): boolean => {
    if (chunk.buffer !== ring.buffer) return false;
    const at = head % ringBytes;
    const off = chunk.byteOffset - ring.byteOffset;
    if (off < at || off + chunk.length - at > room()) return false;
    if (off > at) ring.copyWithin(at, off, off + chunk.length);
    if (head === tail && chunk.length > 0) pendingSince = performance.now();
    head += chunk.length;
    return true;
  };

  /** Copies as much of `chunk` as fits; returns what did not. */
  const copyIn = (chunk: Buffer): Buffer | null => {
    const free = ringBytes - (head - tail);
    const n = Math.min(free, chunk.length);
    let at = head % ringBytes;
    let done = 0;
    while (done < n) {
      const piece = Math.min(n - done, ringBytes - at);
      chunk.copy(ring, at, done, done + piece);
      done += piece;
      at = 0;
    }
    if (head === tail && n > 0) pendingSince = performance.now();
    head += n;
    return n < chunk.length ? chunk.subarray(n) : null;
  };

  const drainOverflow = (): void => {
    while (overflow.length > 0) {
      const rest = copyIn(overflow[0]!);
      if (rest) {
        overflow[0] = rest;
        return;
      }
      overflow.shift();
    }
  };

  /** fsync, then report the size written before it began (writes go on meanwhile). */
  const checkpoint = (): Promise<void> => {
    const target = o.startOffset + tail;
    syncedAt = now();
    syncedTail = tail;
    const p = fh!.sync().then(
      () => {
        if (syncing === p) syncing = null;
        if (error === null) guarded(() => o.onDurable?.(target));
      },
      (e: unknown) => {
        if (syncing === p) syncing = null;
        fail(e);
      },
    );
    syncing = p;
    return p;
  };

  const flush = (force: boolean): void => {
    if (!released || fh === null || inflight !== null || error !== null || head === tail) return;
    if (!force && head - tail < minWrite && performance.now() - pendingSince < MAX_AGE_MS) return;
    const end = head;
    const from = tail % ringBytes;
    const to = end % ringBytes;
    const bufs = from < to || to === 0 ? [ring.subarray(from, to === 0 ? ringBytes : to)] : [ring.subarray(from), ring.subarray(0, to)];
    inflight = writeAll(fh, bufs).then(
      () => {
        inflight = null;
        tail = end;
        pendingSince = performance.now();
        if (o.onDurable && syncing === null && checkpointDue(now() - syncedAt, tail - syncedTail, cadence)) void checkpoint();
        drainOverflow();
        guarded(() => w.onWritten?.(tail));
        if (paused && overflow.length === 0 && ringBytes - (head - tail) >= pauseBelow) {
          paused = false;
          guarded(() => w.onReady?.());
        }
        // Whatever arrived during the write goes next: large writes when the link outruns the disk.
        flush(head - tail >= minWrite);
      },
      (e: unknown) => {
        inflight = null;
        fail(e);
      },
    );
  };

  const w: PartWriter = {
    opened,
    onReady: null,
    onWritten: null,
    get error() {
      return error;
    },
    write(chunk) {
      if (closing) {
        // A chunk after close() would land in a ring that may already serve another download.
        fail(new FerryError('INTERNAL', 'part writer: a chunk came after close'));
        return false;
      }
      // The chunk may be the source's reused read buffer: what is kept past this call is a copy.
      if (overflow.length > 0) overflow.push(Buffer.from(chunk));
      else if (!takeInPlace(chunk)) {
        // A view of the ring that is not where a lent span would be is copied out first: never ring to ring.
        const rest = copyIn(chunk.buffer === ring.buffer ? Buffer.from(chunk) : chunk);
        if (rest) overflow.push(Buffer.from(rest));
      }
      flush(false);
      if (overflow.length > 0 || ringBytes - (head - tail) < pauseBelow) paused = true;
      return !paused;
    },
    span(max) {
      if (closing || overflow.length > 0 || paused || error !== null) return null;
      const n = Math.min(max, room());
      // Below this a read is not worth lending for: the source reads into its own buffer (one copy).
      if (n < MIN_SPAN) return null;
      const at = head % ringBytes;
      return ring.subarray(at, at + n);
    },
    release() {
      released = true;
      void opened.then(() => {
        flush(false);
        if (error === null && !paused) guarded(() => w.onReady?.());
      });
    },
    async close(durable) {
      if (closing) throw new FerryError('INTERNAL', 'part writer: closed twice');
      closing = true;
      await opened;
      try {
        while (error === null && released && (inflight || head > tail || overflow.length > 0)) {
          if (inflight) await inflight;
          else flush(true);
        }
        while (inflight) await inflight;
        while (syncing) await syncing;
        if (error === null && durable && fh) await checkpoint();
      } finally {
        await (fh as PartHandle | null)?.close().catch(() => undefined);
        // No write reads the ring any more, and nothing is lent: the source's last read came before close().
        if (inflight === null) giveBack(ring);
      }
      if (error !== null) throw error;
    },
  };
  return w;
}
