// Facade over ferry's N-API addon (build/Release/ferry_native.node): peer credentials of a Unix
// socket, sd_notify, SO_RCVLOWAT (transfer/http1/wake-batching.ts), and the *at() calls behind held-directory
// opening (system/held-dir.ts). The addon is loaded on use, never at import, and every failure becomes a
// FerryError('INTERNAL') carrying the addon's Error{code, errno, syscall} as cause.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FerryError } from '../errors.js';
import { packageRoot } from './package-root.js';

export interface PeerCred {
  pid: number;
  uid: number;
  gid: number;
}

/** An entry's stat as the addon reports it; times are "seconds.nanoseconds" (exact, for identity). */
export interface NativeStat {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  nlink: number;
  dev: number;
  ino: number;
  mtime: string;
  ctime: string;
}

/** What the addon exports (native/ferry_native.c). */
export interface NativeAddon {
  peerCred(fd: number): PeerCred;
  /** false when there is no notify socket; throws when the send fails. */
  sdNotify(state: string, socketPath?: string): boolean;
  /** openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS), or an O_NOFOLLOW walk (ENOSYS, or walkOnly). */
  openBeneath(dirfd: number, rel: string, flags: number, mode: number, walkOnly?: boolean): number;
  mkdirAt(dirfd: number, name: string, mode: number): void;
  renameAt(fromDirfd: number, fromName: string, toDirfd: number, toName: string): void;
  /** false when the name did not exist. */
  unlinkAt(dirfd: number, name: string, isDir?: boolean): boolean;
  /** lstat of one name in a held folder; null when absent. */
  statAt(dirfd: number, name: string): NativeStat | null;
  fstatFd(fd: number): NativeStat;
  hasAcl(fd: number): boolean;
  /** The account's groups (getgrouplist), null when the uid has no passwd entry. */
  userGroups(uid: number): number[] | null;
  /** SO_RCVLOWAT: wake a reader of this TCP socket only once `bytes` (≥ 1) are queued, or at EOF. */
  setRcvLowat(fd: number, bytes: number): void;
  /** sendfile from a file into a non-blocking socket on the thread pool, until it is full or `count` sent. */
  sendFile(socketFd: number, fileFd: number, offset: number, count: number): Promise<SendFileResult>;
  /** true once the socket has room to send (or an error pending), false after timeoutMs. */
  waitWritable(socketFd: number, timeoutMs: number): Promise<boolean>;
  readonly O_PATH: number;
}

/** What one sendfile call moved: `full` when the socket would block (wait for room), else the file ended. */
export interface SendFileResult {
  sent: number;
  full: boolean;
}

const ADDON_RELATIVE = join('build', 'Release', 'ferry_native.node');

/** Where the addon is: build/Release under the package root (system/package-root.ts). */
export function defaultAddonPath(from: string = dirname(fileURLToPath(import.meta.url))): string {
  return join(packageRoot(from) ?? from, ADDON_RELATIVE);
}

let defaultFile: string | undefined;
// Loaded addons by path: this is called on every held-folder and part-file open, and a stat plus a fresh
// createRequire per call is work require()'s own cache cannot save. Only a successful load is kept.
const loaded = new Map<string, NativeAddon>();

/** Loads the addon once per path; the default path is found once. */
export function loadNativeAddon(file: string = (defaultFile ??= defaultAddonPath())): NativeAddon {
  const hit = loaded.get(file);
  if (hit) return hit;
  if (!existsSync(file)) {
    throw new FerryError('INTERNAL', `native addon missing at ${file}: run "npm run build:native"`);
  }
  try {
    const addon = createRequire(import.meta.url)(file) as NativeAddon;
    loaded.set(file, addon);
    return addon;
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new FerryError('INTERNAL', `native addon at ${file} failed to load (rebuild with "npm run build:native"): ${why}`, { cause: e });
  }
}

/**
 * The kernel-recorded credentials of the process at the other end of a connected Unix socket
 * (SO_PEERCRED: taken at connect() time, so a client cannot claim another uid).
 */
export function getPeerCred(socket: Socket, addon: NativeAddon = loadNativeAddon()): PeerCred {
  const fd = socketFd(socket);
  if (fd === undefined) {
    throw new FerryError('INTERNAL', 'cannot read peer credentials: socket has no file descriptor (closed, or not a Unix socket)');
  }
  try {
    return addon.peerCred(fd);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new FerryError('INTERNAL', `cannot read peer credentials: ${why}`, { cause: e });
  }
}

/**
 * SO_RCVLOWAT on a connected TCP socket: its reader is woken only once `bytes` (>= 1) are queued, or at
 * EOF (transfer/http1/wake-batching.ts). Throws FerryError('INTERNAL') when the socket has no descriptor
 * (closed) or the call fails.
 */
export function setRcvLowat(socket: Socket, bytes: number, loadAddon: () => NativeAddon = loadNativeAddon): void {
  const fd = socket.destroyed ? undefined : socketFd(socket);
  if (fd === undefined) throw new FerryError('INTERNAL', 'cannot set SO_RCVLOWAT: socket has no file descriptor (closed)');
  const addon = loadAddon();
  try {
    addon.setRcvLowat(fd, bytes);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new FerryError('INTERNAL', `cannot set SO_RCVLOWAT: ${why}`, { cause: e });
  }
}

/**
 * Sends up to `count` bytes of the open file `fileFd` from `offset` into a connected plain TCP socket with
 * sendfile (no copy through JavaScript), on a thread-pool thread (a file read may wait on the disk). Settles
 * once the socket is full, the count is sent or the file ended; rejects with the errno's code (EPIPE,
 * ECONNRESET...) as Node's own socket errors do. The addon dup()s both descriptors for the call, so closing
 * either meanwhile is safe. Throws FerryError('INTERNAL') when the socket has no descriptor.
 */
export function sendFileToSocket(socket: Socket, fileFd: number, offset: number, count: number, loadAddon: () => NativeAddon = loadNativeAddon): Promise<SendFileResult> {
  const fd = socket.destroyed ? undefined : socketFd(socket);
  if (fd === undefined) throw new FerryError('INTERNAL', 'cannot sendfile: socket has no file descriptor (closed)');
  return loadAddon().sendFile(fd, fileFd, offset, count);
}

/**
 * Waits on Node's loop until a connected socket has room to send (the kernel says so once a third of its
 * send buffer is free) or has an error pending (true), or `timeoutMs` passed (false); for a sender that
 * writes past Node (sendFileToSocket). Throws FerryError('INTERNAL') when the socket has no descriptor.
 */
export function waitSocketWritable(socket: Socket, timeoutMs: number, loadAddon: () => NativeAddon = loadNativeAddon): Promise<boolean> {
  const fd = socket.destroyed ? undefined : socketFd(socket);
  if (fd === undefined) throw new FerryError('INTERNAL', 'cannot wait for room: socket has no file descriptor (closed)');
  return loadAddon().waitWritable(fd, timeoutMs);
}

/**
 * The descriptor of a connected socket. Node has no public accessor for an accepted connection's fd;
 * it keeps it on the internal handle (`_handle.fd`, a number on Unix), read here without trusting its type.
 */
export function socketFd(socket: Socket): number | undefined {
  const handle: unknown = Reflect.get(socket, '_handle');
  if (typeof handle !== 'object' || handle === null || !('fd' in handle)) return undefined;
  const fd = handle.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/**
 * Sends one sd_notify state ("READY=1", "WATCHDOG=1", "STATUS=…") to systemd. Returns false when
 * not running under a notify-aware manager (no socket), without loading the addon, so development
 * runs need no build. `socketPath` defaults to $NOTIFY_SOCKET; '@name' is an abstract socket.
 */
export function sdNotify(
  state: string,
  socketPath: string | undefined = process.env.NOTIFY_SOCKET,
  loadAddon: () => NativeAddon = loadNativeAddon,
): boolean {
  if (socketPath === undefined || socketPath === '') return false;
  const addon = loadAddon();
  try {
    return addon.sdNotify(state, socketPath);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new FerryError('INTERNAL', `sd_notify to ${socketPath} failed: ${why}`, { cause: e });
  }
}
