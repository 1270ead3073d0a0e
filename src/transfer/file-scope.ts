// The file rule at the point of use: a transfer's folder and file are reached from the held transfers
// root one plain name at a time (no symlink followed, no `..`), and every folder below the caller's
// own starting folder is checked against what the caller could do itself (access-rights.ts). The
// starting folder — the whole root for admins, `<root>/<client>/` otherwise — is granted by ferry.
import { constants, fchownSync, mkdirSync } from 'node:fs';
import { FerryError } from '../errors.js';
import { HeldDir, isDirMode, isFileMode, isLinkMode } from '../system/held-dir.js';
import { FdFile } from '../system/fd-file.js';
import { loadNativeAddon, type NativeAddon, type NativeStat } from '../system/native.js';
import { may, mayReplaceIn, type Credentials } from './access-rights.js';
import type { TransferAccess } from '../model/job.js';

const { O_RDONLY, O_NONBLOCK, O_NOCTTY } = constants;

/** Part files live here, below the root (one file system, so the final rename is atomic); mode 0700. */
export const PARTS_DIR = '.ferry-parts';

export interface FileScope {
  readonly root: HeldDir;
  readonly addon: NativeAddon;
  /** null: the agent's own jobs (device sync, chained work): no caller to check against. */
  readonly who: Credentials | null;
  /** When ferry runs as root for another caller, what it creates becomes the caller's (uid, gid). */
  readonly owner: { uid: number; gid: number } | null;
  /** The caller's starting folder relative to the root, as names ([] = the whole root). */
  readonly base: string[];
  close(): void;
}

export function symlinkRefused(rel: string): FerryError {
  return new FerryError('PATH_SYMLINK', `path ${JSON.stringify(rel.slice(0, 300))} goes through a symlink; ferry follows none below the transfers root`, { field: 'path' });
}

export function forbidden(rel: string, what: string): FerryError {
  return new FerryError('FORBIDDEN', `the client may not ${what} ${JSON.stringify(rel.slice(0, 300))} itself, so ferry will not either`, { field: 'path' });
}

/** Native errors from opening below the root, as FerryErrors; others pass through. */
export function mapOpenError(e: unknown, rel: string): unknown {
  const code = (e as { code?: string } | null)?.code;
  if (code === 'ELOOP' || code === 'EXDEV') return symlinkRefused(rel);
  if (code === 'ENOENT' || code === 'ENOTDIR') return new FerryError('FILE_NOT_FOUND', `${JSON.stringify(rel.slice(0, 300))} does not exist`, { field: 'path', cause: e });
  if (code === 'EACCES' || code === 'EPERM') return new FerryError('FORBIDDEN', `ferry may not open ${JSON.stringify(rel.slice(0, 300))}: ${code}`, { field: 'path', cause: e });
  return e;
}

/** Opens the root (creating it if missing) and works out the caller's rights for one transfer. */
export function openScope(rootPath: string, access: TransferAccess | null | undefined, addon: NativeAddon = loadNativeAddon()): FileScope {
  mkdirSync(rootPath, { recursive: true });
  const root = HeldDir.open(rootPath, addon);
  const who = access ? { uid: access.uid, gids: addon.userGroups(access.uid) ?? [] } : null;
  const owner = who && who.uid !== 0 && process.geteuid?.() === 0 ? { uid: who.uid, gid: who.gids[0] ?? -1 } : null;
  const base = access?.folder ? access.folder.split('/') : [];
  return { root, addon, who, owner, base, close: () => root.close() };
}

export interface Folder {
  dir: HeldDir;
  name: string;
  /** The folder is the caller's starting folder (or above it): ferry grants it, no mode check. */
  granted: boolean;
  close(): void;
}

function splitRel(scope: FileScope, rel: string): { dirs: string[]; name: string } {
  const names = rel.split('/');
  const name = names.pop();
  if (!name || names.some((n) => n === '' || n === '.' || n === '..') || name === '.' || name === '..') {
    throw new FerryError('INVALID_FIELD', `path ${JSON.stringify(rel.slice(0, 300))} is not a plain relative path`, { field: 'path' });
  }
  if (names[0] === PARTS_DIR || (names.length === 0 && name === PARTS_DIR)) {
    throw new FerryError('PATH_OUTSIDE_ROOT', `${PARTS_DIR} is ferry's own folder`, { field: 'path' });
  }
  if (scope.base.some((b, i) => names[i] !== b)) {
    throw new FerryError('PATH_OUTSIDE_ROOT', `path ${JSON.stringify(rel.slice(0, 300))} is outside the client's folder ${scope.base.join('/')}/`, { field: 'path' });
  }
  return { dirs: names, name };
}

/**
 * Opens the folder that holds `rel`, one name at a time. 'create': missing folders are made (the
 * caller must be allowed to create them, except its own starting folder, which ferry makes for it);
 * 'probe': a missing folder ends the walk with null once the caller may create it; 'existing': null.
 */
export function openFolder(scope: FileScope, rel: string, mode: 'create' | 'probe' | 'existing'): Folder | null {
  const { dirs, name } = splitRel(scope, rel);
  let cur = scope.root;
  const release = (d: HeldDir) => {
    if (d !== scope.root) d.close();
  };
  try {
    for (let i = 0; i < dirs.length; i++) {
      const comp = dirs[i]!;
      const granted = i < scope.base.length;
      const st = cur.stat(comp);
      let made = false;
      if (st === null) {
        if (mode !== 'existing' && !granted && scope.who && !mayReplaceIn(cur.fstat(), null, scope.who, cur.hasAcl())) {
          throw forbidden(rel, 'create a folder for');
        }
        if (mode !== 'create') {
          release(cur);
          return null;
        }
        made = cur.mkdir(comp, granted ? 0o700 : 0o755);
      } else if (isLinkMode(st.mode)) {
        throw symlinkRefused(rel);
      } else if (!isDirMode(st.mode)) {
        throw new FerryError('INVALID_FIELD', `${JSON.stringify(dirs.slice(0, i + 1).join('/'))} is not a folder`, { field: 'path' });
      }
      let next: HeldDir;
      try {
        next = cur.openDir(comp);
      } catch (e) {
        throw mapOpenError(e, rel);
      }
      if (made && scope.owner) fchownSync(next.fd, scope.owner.uid, scope.owner.gid);
      release(cur);
      cur = next;
      if (!granted && scope.who && !may(cur.fstat(), scope.who, 'x', cur.hasAcl())) throw forbidden(rel, 'reach');
    }
  } catch (e) {
    release(cur);
    throw e;
  }
  const dir = cur;
  return { dir, name, granted: dirs.length <= scope.base.length, close: () => release(dir) };
}

/**
 * The existing entry at `folder/name` may be replaced by the caller: not a symlink or a folder, and
 * the caller could itself create/replace it there. Returns the entry's stat (null when absent).
 */
export function checkReplace(scope: FileScope, folder: Folder, rel: string): NativeStat | null {
  const st = folder.dir.stat(folder.name);
  if (st && isLinkMode(st.mode)) throw symlinkRefused(rel);
  if (st && isDirMode(st.mode)) throw new FerryError('INVALID_FIELD', `${JSON.stringify(rel.slice(0, 300))} is a folder`, { field: 'path' });
  if (!folder.granted && scope.who && !mayReplaceIn(folder.dir.fstat(), st, scope.who, folder.dir.hasAcl())) throw forbidden(rel, 'write');
  return st;
}

/** Download target, checked without creating anything (enqueue time). */
export function probeTarget(scope: FileScope, rel: string): void {
  const folder = openFolder(scope, rel, 'probe');
  if (!folder) return;
  try {
    checkReplace(scope, folder, rel);
  } finally {
    folder.close();
  }
}

export interface OpenedSource {
  file: FdFile;
  stat: NativeStat;
}

/**
 * Opens an upload source once: a regular file reached without symlinks that the caller may read.
 * The descriptor is what is sent (every redirect hop and every PATCH of the attempt reads it).
 */
export function openSource(scope: FileScope, rel: string): OpenedSource {
  const folder = openFolder(scope, rel, 'existing');
  if (!folder) throw new FerryError('FILE_NOT_FOUND', `no file to upload at ${rel}`, { field: 'path' });
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO planted under the name must not hang the agent.
    fd = folder.dir.openFile(folder.name, O_RDONLY | O_NONBLOCK | O_NOCTTY);
  } catch (e) {
    throw mapOpenError(e, rel);
  } finally {
    folder.close();
  }
  const file = new FdFile(fd);
  try {
    const st = scope.addon.fstatFd(fd);
    if (!isFileMode(st.mode)) throw new FerryError('FILE_NOT_FOUND', `upload source ${rel} is not a regular file`, { field: 'path' });
    if (scope.who && !may(st, scope.who, 'r', scope.addon.hasAcl(fd))) throw forbidden(rel, 'read');
    return { file, stat: st };
  } catch (e) {
    void file.close().catch(() => undefined);
    throw e;
  }
}
