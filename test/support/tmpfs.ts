// Small tmpfs mounts for disk-full tests (root only): a file system that really runs out of space,
// a filler file to take the space away and give it back, and unmount on cleanup.
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Why tmpfs mounts are impossible here, or null when they work. */
export function tmpfsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'needs root to mount tmpfs';
  const probe = `/tmp/ferry-tmpfs-probe-${process.pid}`;
  mkdirSync(probe, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(probe, { recursive: true, force: true });
    return `mount -t tmpfs failed: ${r.stderr.trim()}`;
  }
  spawnSync('umount', [probe]);
  rmSync(probe, { recursive: true, force: true });
  return null;
}

export interface Tmpfs {
  path: string;
  freeBytes(): number;
  /** Writes a filler file until the file system is full (leaving `leaveBytes` free). */
  fill(leaveBytes?: number): string;
  /** Removes the filler: the space comes back. */
  unfill(): void;
  unmount(): void;
}

export function mountTmpfs(path: string, sizeBytes: number): Tmpfs {
  mkdirSync(path, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0755`, 'tmpfs', path]);
  const filler = join(path, '.filler');
  const t: Tmpfs = {
    path,
    freeBytes: () => {
      const s = statfsSync(path);
      return Number(s.bavail) * Number(s.bsize);
    },
    fill(leaveBytes = 0) {
      const fd = openSync(filler, 'a');
      const block = Buffer.alloc(64 * 1024, 1);
      try {
        for (;;) {
          const room = t.freeBytes() - leaveBytes;
          if (room <= 0) break;
          writeSync(fd, block, 0, Math.min(block.length, room));
        }
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
      } finally {
        closeSync(fd);
      }
      return filler;
    },
    unfill: () => rmSync(filler, { force: true }),
    unmount: () => {
      spawnSync('umount', ['-l', path]);
      rmSync(path, { recursive: true, force: true });
    },
  };
  return t;
}
