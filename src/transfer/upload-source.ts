// The local file an upload sends: opened ONCE per attempt through the held root with the caller's
// rights checked (file-scope.ts), matched against sha256 when given, then read from that descriptor
// in large chunks by every request of the attempt (each redirect hop, each tus PATCH), or sent from it with
// sendfile over plain HTTP (fileRegion): no re-open, so nothing can be swapped in between the check and the send.
import type { HttpJob } from '../model/job.js';
import { FerryError, isFerryError } from '../errors.js';
import type { FdFile } from '../system/fd-file.js';
import type { AttemptResult, RunContext } from './attempt.js';
import type { AttemptControl } from './attempt-control.js';
import { failureFromError, withBytes } from './classify-failure.js';
import { openSource } from './file-scope.js';
import { hashOpenFile } from './part-file.js';
import type { FileRegion, RequestBody } from './http1/http1-client.js';
import type { Pacer } from './throttle.js';

const MIN_CHUNK = 64 * 1024;
// 1 MiB, not 4: each chunk is copied twice (out of the page cache by a pool thread, into the socket by the
// main thread) and a smaller one is still in cache for the second copy. 1 GiB PUT at loopback, seven
// alternating rounds: 4 MiB 0.585, 1 MiB 0.526, 512 KiB 0.549 CPU-s (curl -T 0.38).
const MAX_CHUNK = 1024 * 1024;
const RING = 4;
// Under a bandwidth limit a full chunk would be a burst of seconds: keep chunks at a tick's worth.
const PACED_MAX_CHUNK = 256 * 1024;

export interface Source {
  /** The one descriptor every request of this attempt reads; the runner closes it. */
  file: FdFile;
  size: number;
  /** dev:ino:size:mtime:ctime of what was opened: a tus upload resumes only onto the same file
   * (ctime moves on every write and cannot be set back, so a same-size rewrite is seen). */
  identity: string;
}

/** Runs `send` with the source opened and checked once (closed after), or the result that ends the attempt. */
export async function withSource(
  t: HttpJob,
  ctx: RunContext,
  ctl: AttemptControl,
  send: (src: Source) => Promise<AttemptResult>,
): Promise<AttemptResult> {
  const src = await checkSource(t, ctx, ctl);
  if ('result' in src) return src.result;
  try {
    return await send(src);
  } finally {
    await src.file.close();
  }
}

/** The opened source, or the failed result that ends the attempt (missing, refused, checksum mismatch). */
export async function checkSource(t: HttpJob, ctx: RunContext, ctl: AttemptControl): Promise<Source | { result: AttemptResult }> {
  let src: Source;
  try {
    const { file, stat } = openSource(ctx.scope, t.path);
    src = { file, size: stat.size, identity: `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtime}:${stat.ctime}` };
  } catch (e) {
    if (isFerryError(e)) return { result: { outcome: 'failed', error: e } };
    return { result: withBytes(failureFromError(e), 0) };
  }
  if (t.sha256) {
    // Refuse to send a file that is not the one the client meant; hashing is local work, not a stall.
    ctl.pauseWatchdog();
    const got = await hashOpenFile(src.file);
    ctl.touch();
    if (got !== t.sha256.toLowerCase()) {
      await src.file.close();
      return { result: { outcome: 'failed', error: new FerryError('CHECKSUM_MISMATCH', `sha256 of the upload source is ${got}, expected ${t.sha256}`) } };
    }
  }
  return src;
}

/** A request body built anew for each redirect hop, and what the last hop's writer sent. */
export interface SourceHops {
  /** The source from `start` to its end, as chunks or as a file region (sendfile); progress is reported as
   * `start` plus the bytes taken, each chunk also feeds the no-progress watchdog. */
  body(): RequestBody;
  /** The bytes the kernel took for the last hop built, once the client stopped writing it: all of them, or fewer
   * when the connection ended first. Awaited only after an answer came (the request was sent, so its writer runs). */
  written(): Promise<number>;
}

export function sourceHops(src: Source, start: number, ctx: RunContext, ctl: AttemptControl, onProgress: (bytes: number, total: number) => void): SourceHops {
  let last: Promise<number> = Promise.resolve(0);
  return {
    body: () => {
      let sent = 0;
      const onChunk = (n: number): void => {
        sent += n;
        ctl.touch();
        onProgress(start + sent, src.size);
      };
      const paced = ctx.pace && { pace: ctx.pace, signal: ctl.signal };
      let settled!: (n: number) => void;
      last = new Promise<number>((resolve) => (settled = resolve));
      return { length: src.size - start, chunks: fileChunks(src.file, start, src.size, onChunk, paced), file: fileRegion(src.file, start, onChunk, paced), settled };
    },
    written: () => last,
  };
}

/**
 * The open source from `start` as a file region, which the HTTP client sends with sendfile over plain HTTP
 * (http1-client.ts sendRegion): no read into JavaScript, no copy on the main thread. The bytes go through the
 * pacer as fileChunks' do: under a limit at most a paced chunk at a time, each counted once it left.
 */
export function fileRegion(fh: FdFile, start: number, onChunk: (n: number) => void, paced?: { pace: Pacer; signal: AbortSignal } | null): FileRegion {
  return {
    fd: fh.fd,
    offset: start,
    ready: async () => {
      if (!paced?.pace.limited) return Number.MAX_SAFE_INTEGER;
      await paced.pace.acquire(0, paced.signal); // waits while the bucket is in debt
      return PACED_MAX_CHUNK;
    },
    taken: (n) => {
      paced?.pace.take(n);
      onChunk(n);
    },
  };
}

/**
 * Chunks of the open source from `start` to `end` (positioned reads: any number of these may run one after
 * another on the same descriptor); `onChunk` runs as each is taken by the HTTP client (backpressure-paced).
 * The next chunk is read while the current one is sent. Chunk size adapts: large reads cost far less CPU
 * on fast links, small ones keep progress (and the no-progress watchdog) fed on slow links, where a 1 MiB
 * chunk could take minutes to leave.
 */
export async function* fileChunks(
  fh: FdFile,
  start: number,
  end: number,
  onChunk: (n: number) => void,
  paced?: { pace: Pacer; signal: AbortSignal } | null,
): AsyncGenerator<Uint8Array> {
  let size = MIN_CHUNK;
  // Buffers are recycled (fresh large buffers cost ~40 % more CPU in page faults). The next chunk is
  // read, while the current one is sent, into the slot three places after the one the client is
  // taking: the client asks for a chunk after socket.write() of the one before returned true or
  // drained, and socket writes complete in order, so by then that slot is no longer referenced (one
  // spare slot covers a client that reads one chunk ahead).
  let ring: Buffer[] = [];
  let ringSize = size;
  const read = async (n: number, at: number): Promise<{ buf: Buffer; bytesRead: number }> => {
    if (ringSize !== size) {
      ring = [];
      ringSize = size;
    }
    const buf = (ring[n % RING] ??= Buffer.allocUnsafe(size));
    // Never past the size checked at open: a file that grows meanwhile must not break Content-Length.
    const want = Math.min(size, end - at);
    if (want <= 0) return { buf, bytesRead: 0 };
    const { bytesRead } = await fh.read(buf, 0, want, at);
    return { buf, bytesRead };
  };
  let pos = start;
  let next: Promise<{ buf: Buffer; bytesRead: number }> | null = read(0, pos);
  try {
    for (let n = 0; ; n++) {
      const { buf, bytesRead } = await next;
      next = null;
      if (bytesRead === 0) return;
      if (paced) await paced.pace.acquire(bytesRead, paced.signal);
      pos += bytesRead;
      next = read(n + 1, pos);
      const t0 = performance.now();
      yield bytesRead < buf.length ? buf.subarray(0, bytesRead) : buf;
      onChunk(bytesRead);
      // Taken quickly: the link is fast, read more at once. Slowly: read less.
      const took = performance.now() - t0;
      if (took < 20) size = Math.min(size * 2, paced?.pace.limited ? PACED_MAX_CHUNK : MAX_CHUNK);
      else if (took > 1000) size = Math.max(size / 2, MIN_CHUNK);
    }
  } finally {
    // A read may still be in flight when the client stops early; the descriptor is closed by withSource after.
    await next?.catch(() => undefined);
  }
}
