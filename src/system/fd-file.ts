// A file descriptor opened by the addon (held-dir.ts) with the few FileHandle methods ferry uses:
// positioned reads and writes, fsync, truncate, chown, stat, close. Node has no public way to wrap
// an existing descriptor in a FileHandle, and re-opening by path would undo the checks made on it.
import { close, fchown, fstat, fsync, ftruncate, read, writev, type Stats } from 'node:fs';
import { promisify } from 'node:util';

const closeP = promisify(close);
const fchownP = promisify(fchown);
const fstatP = promisify(fstat);
const fsyncP = promisify(fsync);
const ftruncateP = promisify(ftruncate);
const readP = promisify(read);
const writevP = promisify(writev);

export class FdFile {
  private open = true;

  constructor(readonly fd: number) {}

  /** Appends at the file offset (or at `position`), like FileHandle.writev. */
  async writev(buffers: NodeJS.ArrayBufferView[], position: number | null = null): Promise<{ bytesWritten: number }> {
    const { bytesWritten } = position === null ? await writevP(this.fd, buffers) : await writevP(this.fd, buffers, position);
    return { bytesWritten };
  }

  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    const { bytesRead } = await readP(this.fd, buffer, offset, length, position);
    return { bytesRead };
  }

  sync(): Promise<void> {
    return fsyncP(this.fd);
  }

  truncate(len: number): Promise<void> {
    return ftruncateP(this.fd, len);
  }

  chown(uid: number, gid: number): Promise<void> {
    return fchownP(this.fd, uid, gid);
  }

  stat(): Promise<Stats> {
    return fstatP(this.fd);
  }

  /** Idempotent, so every path out of an attempt may close. */
  async close(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    await closeP(this.fd);
  }
}
