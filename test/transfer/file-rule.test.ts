// The file rule at the engine: per-transfer part files in ferry's private folder, no symlink followed
// at the target or on the way, only fsynced bytes trusted on resume, and an upload that reads the one
// descriptor it checked on every redirect hop.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startOrigin, type Origin } from '../support/origin.js';
import { record } from '../support/records.js';
import { removePart, sweepOrphanParts } from '../../src/transfer/part-file.js';
import { attempt, download, makeHarness, partOf, readOut, sha256, type Harness } from './harness.js';

const KiB = 1024;
let origin: Origin;
let h: Harness;

beforeAll(async () => {
  origin = await startOrigin();
  h = makeHarness();
});
afterAll(async () => {
  await h.cleanup();
  await origin.close();
});

describe('part files', () => {
  it('gives two transfers to one path their own part files: removing one leaves the other resumable', async () => {
    const content = randomBytes(512 * KiB);
    const route = origin.file('/shared.bin', content);
    route.faults.push({ dropAfterBytes: 128 * KiB }, { dropAfterBytes: 200 * KiB });
    const a = download(origin.url('/shared.bin'), 'same/target.bin');
    const b = download(origin.url('/shared.bin'), 'same/target.bin');
    expect((await attempt(h, a)).outcome).toBe('retry');
    expect((await attempt(h, b)).outcome).toBe('retry');
    expect(statSync(partOf(h, a)).size).toBe(128 * KiB);
    expect(statSync(partOf(h, b)).size).toBe(200 * KiB);
    // What cancel/delete of b does: its part goes, a's stays.
    removePart(h.root, b.id);
    expect(existsSync(partOf(h, b))).toBe(false);
    expect(statSync(partOf(h, a)).size).toBe(128 * KiB);
    const done = await attempt(h, a);
    expect(done.outcome).toBe('completed');
    expect(origin.log.filter((e) => e.path === '/shared.bin').at(-1)?.rangeStart).toBe(128 * KiB);
    expect(sha256(readOut(h, 'same/target.bin'))).toBe(sha256(content));
  });

  it('keeps the part folder private (0700, ferry\'s own) and never beside the target', async () => {
    origin.file('/priv.bin', randomBytes(10 * KiB));
    const t = download(origin.url('/priv.bin'), 'p/priv.bin');
    expect((await attempt(h, t)).outcome).toBe('completed');
    const st = statSync(join(h.root, '.ferry-parts'));
    expect(st.mode & 0o777).toBe(0o700);
    expect(st.uid).toBe(process.geteuid!());
    expect(existsSync(join(h.root, 'p/.priv.bin.ferry-part'))).toBe(false);
  });

  it('after a reboot, resumes only from the fsynced size it recorded: a zero-filled tail past it is cut off', async () => {
    const content = randomBytes(256 * KiB);
    const route = origin.file('/tail.bin', content);
    route.faults.push({ dropAfterBytes: 64 * KiB });
    const t = download(origin.url('/tail.bin'), 'tail.bin', { sha256: sha256(content) });
    expect((await attempt(h, t)).outcome).toBe('retry');
    expect(t.resume.partBytes).toBe(64 * KiB);
    expect(t.resume.partBoot).toBe(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
    // A power cut on a file system that grew the file but lost the data: zeros after the synced size,
    // and the record was written in the boot before this one.
    const fd = openSync(partOf(h, t), 'a');
    writeSync(fd, Buffer.alloc(32 * KiB));
    closeSync(fd);
    t.resume.partBoot = 'the-boot-before';
    const done = await attempt(h, t);
    expect(done.outcome).toBe('completed');
    expect(origin.log.filter((e) => e.path === '/tail.bin').at(-1)?.rangeStart).toBe(64 * KiB);
    expect(readOut(h, 'tail.bin').equals(content)).toBe(true);
  });

  it('sweeps part files no unfinished transfer owns (a cancel cut short by a kill), keeping the others', async () => {
    const content = randomBytes(256 * KiB);
    const route = origin.file('/sweep.bin', content);
    route.faults.push({ dropAfterBytes: 64 * KiB }, { dropAfterBytes: 64 * KiB });
    const kept = download(origin.url('/sweep.bin'), 'sweep/kept.bin');
    const orphan = download(origin.url('/sweep.bin'), 'sweep/orphan.bin');
    await attempt(h, kept);
    await attempt(h, orphan);
    expect(existsSync(partOf(h, orphan))).toBe(true);
    expect(sweepOrphanParts(h.root, [kept.id])).toBeGreaterThanOrEqual(1);
    expect(existsSync(partOf(h, orphan))).toBe(false);
    expect(statSync(partOf(h, kept)).size).toBe(64 * KiB);
  });
});

describe('symlinks below the root', () => {
  // Links that lead out of the root were refused before (PATH_OUTSIDE_ROOT); these stay inside it,
  // at another client's files, which is what a client can plant in its own folder.
  it('refuses a target that is a symlink and leaves the file it points at unchanged', async () => {
    const outside = join(h.root, 'victim/precious.txt');
    mkdirSync(join(h.root, 'victim'), { recursive: true });
    writeFileSync(outside, 'precious');
    mkdirSync(join(h.root, 'ln'), { recursive: true });
    symlinkSync('../victim/precious.txt', join(h.root, 'ln/t.bin'));
    origin.file('/evil.bin', Buffer.from('attacker bytes'));
    const r = await attempt(h, download(origin.url('/evil.bin'), 'ln/t.bin'));
    expect(r.outcome).toBe('failed');
    if (r.outcome === 'failed') expect(r.error.code).toBe('PATH_SYMLINK');
    expect(readFileSync(outside, 'utf8')).toBe('precious');
    expect(lstatSync(join(h.root, 'ln/t.bin')).isSymbolicLink()).toBe(true);
  });

  it('refuses a folder on the way that is a symlink (nothing is created through it)', async () => {
    const outsideDir = join(h.root, 'victim-dir');
    mkdirSync(outsideDir, { recursive: true });
    symlinkSync('victim-dir', join(h.root, 'hop'));
    origin.file('/hop.bin', Buffer.from('x'));
    const r = await attempt(h, download(origin.url('/hop.bin'), 'hop/new.bin'));
    expect(r.outcome).toBe('failed');
    if (r.outcome === 'failed') expect(r.error.code).toBe('PATH_SYMLINK');
    expect(existsSync(join(outsideDir, 'new.bin'))).toBe(false);
  });

  it('refuses to upload through a symlink', async () => {
    mkdirSync(join(h.root, 'victim'), { recursive: true });
    writeFileSync(join(h.root, 'victim/secret.txt'), 'secret');
    symlinkSync('victim/secret.txt', join(h.root, 'link-to-secret'));
    const sink = origin.sink('/leak');
    const r = await attempt(h, record('u-link', 'a', { url: origin.url('/leak'), path: 'link-to-secret', method: 'PUT', direction: 'upload' }));
    expect(r.outcome).toBe('failed');
    if (r.outcome === 'failed') expect(r.error.code).toBe('PATH_SYMLINK');
    expect(sink.bodies).toHaveLength(0);
  });
});

describe('upload source', () => {
  it('sends the file it checked on every redirect hop, even if the path is swapped in between', async () => {
    const original = randomBytes(64 * KiB);
    const swapped = Buffer.alloc(64 * KiB, 0x41);
    const rel = 'up/swap.bin';
    mkdirSync(join(h.root, 'up'), { recursive: true });
    writeFileSync(join(h.root, rel), original);
    const received: Buffer[] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url === '/first') {
          // Between the hops, someone replaces the file under the same name.
          writeFileSync(join(h.root, 'up/other.bin'), swapped);
          renameSync(join(h.root, 'up/other.bin'), join(h.root, rel));
          res.writeHead(307, { location: '/second' }).end();
          return;
        }
        received.push(Buffer.concat(chunks));
        res.writeHead(201).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const t = record('u-swap', 'a', { url: `http://127.0.0.1:${port}/first`, path: rel, method: 'PUT', direction: 'upload' });
      const r = await attempt(h, t);
      expect(r.outcome).toBe('completed');
      expect(received).toHaveLength(1);
      expect(received[0]!.equals(original)).toBe(true);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
