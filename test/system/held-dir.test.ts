// The addon's *at() calls behind the file rule, on a real file system: opens below a held folder
// refuse symlinks anywhere on the way, `..` and absolute paths, with openat2 and with the O_NOFOLLOW
// walk used where openat2 is missing; rename/stat/unlink act on names, never through links.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSync, constants, existsSync, mkdirSync, readFileSync, readSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultAddonPath } from '../../src/system/native.js';
import { HeldDir, isLinkMode } from '../../src/system/held-dir.js';
import { loadNativeAddon } from '../../src/system/native.js';
import { may, mayReplaceIn } from '../../src/transfer/access-rights.js';
import { makeTempDir } from '../support/tmp.js';

const present = existsSync(defaultAddonPath());
if (!present) console.warn(`skipping held-folder tests: ${defaultAddonPath()} missing; run "npm run build:native"`);

describe.skipIf(!present)('held folder opens', () => {
  const tmp = makeTempDir('ferry-held-');
  let root: HeldDir;

  beforeAll(() => {
    mkdirSync(join(tmp.path, 'root/a/b'), { recursive: true });
    writeFileSync(join(tmp.path, 'root/a/b/file.txt'), 'inside');
    writeFileSync(join(tmp.path, 'outside.txt'), 'outside');
    symlinkSync(join(tmp.path, 'outside.txt'), join(tmp.path, 'root/a/link.txt'));
    symlinkSync('b', join(tmp.path, 'root/a/dirlink'));
    root = HeldDir.open(join(tmp.path, 'root'));
  });
  afterAll(() => {
    root.close();
    tmp.cleanup();
  });

  const read = (fd: number): string => {
    const buf = Buffer.alloc(64);
    const n = readSync(fd, buf, 0, 64, 0);
    closeSync(fd);
    return buf.subarray(0, n).toString();
  };

  for (const walkOnly of [false, true]) {
    const how = walkOnly ? 'the O_NOFOLLOW walk' : 'openat2';
    it(`opens a plain relative path with ${how}`, () => {
      expect(read(root.openFile('a/b/file.txt', constants.O_RDONLY, 0, walkOnly))).toBe('inside');
    });
    it(`refuses a symlink as the last name and on the way with ${how} (ELOOP)`, () => {
      expect(() => root.openFile('a/link.txt', constants.O_RDONLY, 0, walkOnly)).toThrow(expect.objectContaining({ code: 'ELOOP' }));
      expect(() => root.openFile('a/dirlink/file.txt', constants.O_RDONLY, 0, walkOnly)).toThrow(expect.objectContaining({ code: 'ELOOP' }));
    });
    it(`refuses .. and absolute paths with ${how} (EINVAL)`, () => {
      expect(() => root.openFile('a/../a/b/file.txt', constants.O_RDONLY, 0, walkOnly)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
      expect(() => root.openFile(join(tmp.path, 'outside.txt'), constants.O_RDONLY, 0, walkOnly)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    });
  }

  it('creates, stats, renames and unlinks by name; a symlink is reported as one and renamed over, not through', () => {
    const a = root.openDir('a');
    try {
      expect(a.mkdir('new', 0o700)).toBe(true);
      expect(a.mkdir('new', 0o700)).toBe(false);
      expect(isLinkMode(a.stat('link.txt')!.mode)).toBe(true);
      expect(a.stat('missing')).toBeNull();
      const b = a.openDir('b');
      b.renameTo('file.txt', a, 'link.txt');
      b.close();
      expect(readFileSync(join(tmp.path, 'outside.txt'), 'utf8')).toBe('outside');
      expect(readFileSync(join(tmp.path, 'root/a/link.txt'), 'utf8')).toBe('inside');
      expect(a.unlink('link.txt')).toBe(true);
      expect(a.unlink('link.txt')).toBe(false);
    } finally {
      a.close();
    }
  });

  it('looks up an account\'s groups, null for a uid without one', () => {
    const addon = loadNativeAddon();
    expect(addon.userGroups(0)).toContain(0);
    expect(addon.userGroups(3_999_999)).toBeNull();
  });
});

describe('access rights (mode bits, groups, sticky folders)', () => {
  const st = (mode: number, uid: number, gid: number) => ({ mode, uid, gid, size: 0, nlink: 1, dev: 0, ino: 0, mtime: '0', ctime: '0' });
  const alice = { uid: 1001, gids: [1001, 50] };
  it('uses owner, then group, then other bits; root may do anything', () => {
    expect(may(st(0o100600, 1001, 1001), alice, 'r')).toBe(true);
    expect(may(st(0o100600, 1002, 50), alice, 'r')).toBe(false);
    expect(may(st(0o100640, 1002, 50), alice, 'r')).toBe(true);
    expect(may(st(0o100604, 1001, 1001), alice, 'r')).toBe(true);
    expect(may(st(0o100060, 1001, 50), alice, 'r')).toBe(false); // the owner class decides for the owner
    expect(may(st(0o100000, 1002, 1002), { uid: 0, gids: [0] }, 'w')).toBe(true);
    expect(may(st(0o100644, 1002, 50), alice, 'r', true)).toBe(false); // an ACL: owner only
  });
  it('needs write and search on the folder, and in a sticky folder an own file or folder', () => {
    const tmpLike = st(0o41777, 0, 0);
    expect(mayReplaceIn(tmpLike, null, alice)).toBe(true);
    expect(mayReplaceIn(tmpLike, st(0o100644, 1002, 1002), alice)).toBe(false);
    expect(mayReplaceIn(tmpLike, st(0o100644, 1001, 1001), alice)).toBe(true);
    expect(mayReplaceIn(st(0o40755, 1002, 50), null, alice)).toBe(false);
    expect(mayReplaceIn(st(0o40775, 1002, 50), st(0o100600, 1002, 50), alice)).toBe(true);
  });
});
