// Facade over ferry's N-API addon (build/Release/ferry_native.node): peer credentials of a Unix
// socket and sd_notify. The addon is loaded on use, never at import, and every failure becomes a
// FerryError('INTERNAL') carrying the addon's Error{code, errno, syscall} as cause.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FerryError } from '../errors.js';

export interface PeerCred {
  pid: number;
  uid: number;
  gid: number;
}

/** What the addon exports (native/ferry_native.c). */
export interface NativeAddon {
  peerCred(fd: number): PeerCred;
  /** false when there is no notify socket; throws when the send fails. */
  sdNotify(state: string, socketPath?: string): boolean;
}

const ADDON_RELATIVE = join('build', 'Release', 'ferry_native.node');

/**
 * Where the addon is: build/Release under the package root. The root is found by walking up to the
 * first package.json, because this file runs both from src/system (tsx, vitest) and dist/src/system.
 */
export function defaultAddonPath(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, ADDON_RELATIVE);
    const parent = dirname(dir);
    if (parent === dir) return join(from, ADDON_RELATIVE);
    dir = parent;
  }
}

/** Loads the addon; require() caches it, so calling this per use costs a map lookup. */
export function loadNativeAddon(file: string = defaultAddonPath()): NativeAddon {
  if (!existsSync(file)) {
    throw new FerryError('INTERNAL', `native addon missing at ${file}: run "npm run build:native"`);
  }
  try {
    return createRequire(import.meta.url)(file) as NativeAddon;
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
