// The local file an upload sends: checked to exist (and match sha256 when given) before any request,
// then read in large chunks from an offset, reporting each chunk as it is handed to the socket.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { TransferRecord } from '../model/transfer.js';
import { FerryError } from '../errors.js';
import type { AttemptResult } from './attempt.js';
import type { AttemptControl } from './attempt-control.js';
import { failureFromError, withBytes } from './classify-failure.js';
import { hashFile } from './part-file.js';

const READ_CHUNK = 256 * 1024;

/** The file's size, or the failed result that ends the attempt (missing file, checksum mismatch). */
export async function checkSource(t: TransferRecord, abs: string, ctl: AttemptControl): Promise<{ size: number } | { result: AttemptResult }> {
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

/** Chunks of `abs` from `start`; `onChunk` runs as each is taken by the HTTP client (backpressure-paced). */
export async function* fileChunks(abs: string, start: number, onChunk: (n: number) => void): AsyncGenerator<Uint8Array> {
  for await (const chunk of createReadStream(abs, { start, highWaterMark: READ_CHUNK })) {
    const buf = chunk as Buffer;
    yield buf;
    onChunk(buf.length);
  }
}
