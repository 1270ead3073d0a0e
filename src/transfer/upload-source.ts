// The local file an upload sends: checked to exist (and match sha256 when given) before any request,
// then read in large chunks from an offset, reporting each chunk as it is handed to the socket.
import { open, stat } from 'node:fs/promises';
import type { HttpJob } from '../model/job.js';
import { FerryError } from '../errors.js';
import type { AttemptResult } from './attempt.js';
import type { AttemptControl } from './attempt-control.js';
import { failureFromError, withBytes } from './classify-failure.js';
import { hashFile } from './part-file.js';
import type { Pacer } from './throttle.js';

const MIN_CHUNK = 64 * 1024;
const MAX_CHUNK = 4 * 1024 * 1024;
const RING = 3;
// Under a bandwidth limit a 4 MiB chunk would be a burst of seconds: keep chunks at a tick's worth.
const PACED_MAX_CHUNK = 256 * 1024;

/** The file's size, or the failed result that ends the attempt (missing file, checksum mismatch). */
export async function checkSource(t: HttpJob, abs: string, ctl: AttemptControl): Promise<{ size: number } | { result: AttemptResult }> {
  let size: number;
  try {
    const st = await stat(abs);
    if (!st.isFile()) return { result: { outcome: 'failed', error: new FerryError('FILE_NOT_FOUND', `upload source ${t.path} is not a regular file`) } };
    size = st.size;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      return { result: { outcome: 'failed', error: new FerryError('FILE_NOT_FOUND', `upload source ${t.path} does not exist`, { cause: e }) } };
    }
    return { result: withBytes(failureFromError(e), 0) };
  }
  if (t.sha256) {
    // Refuse to send a file that is not the one the client meant; hashing is local work, not a stall.
    ctl.pauseWatchdog();
    const got = await hashFile(abs);
    ctl.touch();
    if (got !== t.sha256.toLowerCase()) {
      return { result: { outcome: 'failed', error: new FerryError('CHECKSUM_MISMATCH', `sha256 of the upload source is ${got}, expected ${t.sha256}`) } };
    }
  }
  return { size };
}

/**
 * Chunks of `abs` from `start`; `onChunk` runs as each is taken by the HTTP client (backpressure-paced).
 * Chunk size adapts: large reads cost far less CPU on fast links, small ones keep progress (and the
 * no-progress watchdog) fed on slow links, where a 4 MiB chunk could take minutes to leave.
 */
export async function* fileChunks(
  abs: string,
  start: number,
  onChunk: (n: number) => void,
  paced?: { pace: Pacer; signal: AbortSignal } | null,
): AsyncGenerator<Uint8Array> {
  const fh = await open(abs, 'r');
  try {
    let size = MIN_CHUNK;
    let pos = start;
    // Buffers are recycled (fresh 4 MiB buffers cost ~40 % more CPU in page faults). A buffer is
    // refilled only when the chunk two places after it is requested: the client asks for the next
    // chunk after socket.write() returned true or drained, and socket writes complete in order, so by
    // then it is no longer referenced (one spare slot covers a client that reads one chunk ahead).
    let ring: Buffer[] = [];
    let ringSize = size;
    for (let n = 0; ; n++) {
      if (ringSize !== size) {
        ring = [];
        ringSize = size;
      }
      const buf = (ring[n % RING] ??= Buffer.allocUnsafe(size));
      const { bytesRead } = await fh.read(buf, 0, size, pos);
      if (bytesRead === 0) return;
      if (paced) await paced.pace.acquire(bytesRead, paced.signal);
      pos += bytesRead;
      const t0 = performance.now();
      yield bytesRead < size ? buf.subarray(0, bytesRead) : buf;
      onChunk(bytesRead);
      // Taken quickly: the link is fast, read more at once. Slowly: read less.
      const took = performance.now() - t0;
      if (took < 20) size = Math.min(size * 2, paced?.pace.limited ? PACED_MAX_CHUNK : MAX_CHUNK);
      else if (took > 1000) size = Math.max(size / 2, MIN_CHUNK);
    }
  } finally {
    await fh.close();
  }
}
