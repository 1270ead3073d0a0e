// A folder held open by descriptor. Every open, mkdir, stat, rename and unlink below it is relative to
// that descriptor and follows no symlink (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS, or an O_NOFOLLOW
// walk on old kernels), so a client that swaps a folder or a name for a symlink cannot redirect us.
import { closeSync, constants, fsync, openSync } from 'node:fs';
import { promisify } from 'node:util';
import { loadNativeAddon, type NativeAddon, type NativeStat } from './native.js';

const fsyncP = promisify(fsync);
const { O_RDONLY, O_DIRECTORY, O_NONBLOCK } = constants;

export type { NativeStat } from './native.js';

export const S_IFMT = 0o170000;
export const isDirMode = (mode: number): boolean => (mode & S_IFMT) === 0o040000;
export const isFileMode = (mode: number): boolean => (mode & S_IFMT) === 0o100000;
export const isLinkMode = (mode: number): boolean => (mode & S_IFMT) === 0o120000;

export class HeldDir {
  private closed = false;

  private constructor(
    readonly fd: number,
    /** For messages only: the folder as the caller knows it. */
    readonly label: string,
    private readonly addon: NativeAddon,
  ) {}

  /**
   * Opens a trusted folder by path (the transfers root from the config; a symlinked root is the
   * operator's choice and is followed). Everything below goes through the held descriptor.
   */
  static open(path: string, addon: NativeAddon = loadNativeAddon()): HeldDir {
    return new HeldDir(openSync(path, O_RDONLY | O_DIRECTORY), path, addon);
  }

  /** A sub-folder (a relative path of plain names); ELOOP/ENOTDIR when a symlink is on the way. */
  openDir(rel: string): HeldDir {
    // O_NONBLOCK: never hang on a FIFO planted where a folder is expected.
    const fd = this.addon.openBeneath(this.fd, rel, O_RDONLY | O_DIRECTORY | O_NONBLOCK, 0);
    return new HeldDir(fd, `${this.label}/${rel}`, this.addon);
  }

  /** A raw descriptor for a file below this folder; the caller owns (and closes) it. */
  openFile(rel: string, flags: number, mode = 0o600, walkOnly = false): number {
    return this.addon.openBeneath(this.fd, rel, flags, mode, walkOnly);
  }

  /** Creates one sub-folder; false when the name exists already (of whatever type: check after). */
  mkdir(name: string, mode: number): boolean {
    try {
      this.addon.mkdirAt(this.fd, name, mode);
      return true;
    } catch (e) {
      if ((e as { code?: string }).code === 'EEXIST') return false;
      throw e;
    }
  }

  /** lstat of one name here; null when absent. */
  stat(name: string): NativeStat | null {
    return this.addon.statAt(this.fd, name);
  }

  fstat(): NativeStat {
    return this.addon.fstatFd(this.fd);
  }

  hasAcl(): boolean {
    return this.addon.hasAcl(this.fd);
  }

  /** rename(2) from this folder into `to`: neither end follows a symlink. */
  renameTo(name: string, to: HeldDir, toName: string): void {
    this.addon.renameAt(this.fd, name, to.fd, toName);
  }

  /** false when there was nothing to remove. */
  unlink(name: string): boolean {
    return this.addon.unlinkAt(this.fd, name, false);
  }

  /** Makes this folder's entries (a rename into it) durable. */
  sync(): Promise<void> {
    return fsyncP(this.fd);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}
