// Part files: one per transfer id (`<id>.part`) in `<root>/.ferry-parts/`, a folder only ferry may
// enter (0700, ferry's own uid; refused otherwise), so no client can plant, read or share a part file
// and two transfers to one path never mix bytes. The finished part is renamed from there into the
// target's held folder (same file system as the root, so the rename is atomic), then that folder is
// fsynced: after a crash there is either nothing or the whole file.
import { createHash, type Hash } from 'node:crypto';
import { constants, createReadStream, fchmodSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { FerryError } from '../errors.js';
import { FdFile } from '../system/fd-file.js';
import { HeldDir, isDirMode, isFileMode } from '../system/held-dir.js';
import { loadNativeAddon, type NativeAddon } from '../system/native.js';
import { PARTS_DIR } from './file-scope.js';

const { O_WRONLY, O_RDONLY, O_CREAT, O_APPEND, O_TRUNC } = constants;

let bootId: string | null = null;

/**
 * The kernel's boot id. Bytes written but not yet fsynced survive a killed process (they are in the
 * page cache) but not a power cut; a part written in this same boot can be trusted whole.
 */
export function currentBootId(): string {
  if (bootId === null) {
    try {
      bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      bootId = '';
    }
  }
  return bootId;
}

/**
 * How much of a part file a resume may build on: all of it when it was last written in this boot
 * (a crash of the process loses nothing the kernel accepted), else only what was fsynced and recorded.
 */
export function trustedPartSize(onDisk: number, recorded: { partBytes?: number; partBoot?: string }): number {
  const boot = currentBootId();
  if (boot !== '' && recorded.partBoot === boot) return onDisk;
  return Math.min(onDisk, recorded.partBytes ?? 0);
}

/** Opens (creating) the private part folder below the held root and checks it is still private. */
export function openPartsDir(root: HeldDir): HeldDir {
  root.mkdir(PARTS_DIR, 0o700);
  const dir = root.openDir(PARTS_DIR);
  const st = dir.fstat();
  const euid = process.geteuid?.() ?? st.uid;
  if (!isDirMode(st.mode) || st.uid !== euid) {
    dir.close();
    throw new FerryError('IO_ERROR', `${root.label}/${PARTS_DIR} is not ferry's own folder (uid ${st.uid}); move it away`);
  }
  if ((st.mode & 0o077) !== 0) fchmodSync(dir.fd, 0o700);
  return dir;
}

/** The part file's name for a transfer id (ids are UUIDs; anything else is hashed to a safe name). */
export function partName(id: string): string {
  return /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,200}$/.test(id) ? `${id}.part` : `${createHash('sha256').update(id).digest('hex').slice(0, 40)}.part`;
}

export class PartFile {
  readonly name: string;

  constructor(
    readonly parts: HeldDir,
    id: string,
  ) {
    this.name = partName(id);
  }

  /** Only for reading back (hashing): the part folder is ferry's own, so its path is not a client's to bend. */
  get path(): string {
    return path.join(this.parts.label, this.name);
  }

  /** Its size on disk, 0 when absent; anything but a regular file there is removed. */
  size(): number {
    const st = this.parts.stat(this.name);
    if (st === null) return 0;
    if (!isFileMode(st.mode) || st.nlink !== 1) {
      this.parts.unlink(this.name);
      return 0;
    }
    return st.size;
  }

  /** Opens for appending (created 0600 if absent, emptied when `truncate`); refuses anything odd. */
  async open(truncate: boolean): Promise<FdFile> {
    const file = new FdFile(this.parts.openFile(this.name, O_WRONLY | O_CREAT | O_APPEND | (truncate ? O_TRUNC : 0), 0o600));
    const st = await file.stat();
    if (!st.isFile() || st.nlink !== 1) {
      await file.close();
      throw new FerryError('IO_ERROR', `part file ${this.name} is not a plain file`);
    }
    return file;
  }

  async truncate(size: number): Promise<void> {
    if (this.parts.stat(this.name) === null) return;
    const f = await this.open(false);
    try {
      await f.truncate(size);
    } finally {
      await f.close();
    }
  }

  /** A sha256 fed with the first `length` bytes (the part kept from earlier attempts). */
  async hashPrefix(length: number): Promise<Hash> {
    const h = createHash('sha256');
    if (length === 0) return h;
    for await (const chunk of createReadStream(this.path, { start: 0, end: length - 1, highWaterMark: 1024 * 1024 })) h.update(chunk as Buffer);
    return h;
  }

  remove(): void {
    this.parts.unlink(this.name);
  }

  /**
   * Makes the finished part the target `name` in the held folder `to`: made the caller's when ferry
   * runs as root for someone else, fsynced, renamed (rename never follows a symlink), folder fsynced.
   */
  async promote(to: HeldDir, name: string, owner: { uid: number; gid: number } | null): Promise<void> {
    const f = new FdFile(this.parts.openFile(this.name, O_RDONLY, 0));
    try {
      if (owner) await f.chown(owner.uid, owner.gid);
      await f.sync();
    } finally {
      await f.close();
    }
    this.parts.renameTo(this.name, to, name);
    // The rename lives in the folder's metadata; without this a power cut can undo it.
    await to.sync();
  }
}

/** Removes a transfer's part file, if any (cancel, delete, failure). */
export function removePart(rootPath: string, id: string, addon: NativeAddon = loadNativeAddon()): void {
  let root: HeldDir;
  try {
    root = HeldDir.open(rootPath, addon);
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return;
    throw e;
  }
  try {
    if (root.stat(PARTS_DIR) === null) return;
    const parts = openPartsDir(root);
    try {
      parts.unlink(partName(id));
    } finally {
      parts.close();
    }
  } finally {
    root.close();
  }
}

/**
 * Removes part files no unfinished download owns (a cancel whose delete was cut short by a kill, a
 * record removed while the agent was down). Run at start-up, before any attempt. Returns the count.
 */
export function sweepOrphanParts(rootPath: string, keepIds: Iterable<string>, addon: NativeAddon = loadNativeAddon()): number {
  const keep = new Set([...keepIds].map(partName));
  let root: HeldDir;
  try {
    root = HeldDir.open(rootPath, addon);
  } catch {
    return 0;
  }
  let removed = 0;
  try {
    if (root.stat(PARTS_DIR) === null) return 0;
    const parts = openPartsDir(root);
    try {
      for (const name of readdirSync(parts.label)) {
        if (keep.has(name)) continue;
        try {
          if (parts.unlink(name)) removed++;
        } catch {
          // not a plain file (nothing ferry made): left for the operator
        }
      }
    } finally {
      parts.close();
    }
  } finally {
    root.close();
  }
  return removed;
}

/** Hex sha256 of an open file, read from its start (the upload source's descriptor). */
export async function hashOpenFile(file: FdFile): Promise<string> {
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(1024 * 1024);
  for (let pos = 0; ; ) {
    const { bytesRead } = await file.read(buf, 0, buf.length, pos);
    if (bytesRead === 0) return h.digest('hex');
    h.update(buf.subarray(0, bytesRead));
    pos += bytesRead;
  }
}

/** Hex sha256 of a whole file by path (device pushes read the agent's own files by path). */
export async function hashFile(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) h.update(chunk as Buffer);
  return h.digest('hex');
}
