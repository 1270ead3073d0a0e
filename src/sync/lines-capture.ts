// The `lines` protocol: while a line-oriented serial device (GPS NMEA, CSV sensor) is present, every
// line it sends is appended to a spool file; the file is rotated by size or age and handed on
// (`onRotated`, which queues its upload). The file being written ends in ".open"; one left by a
// crash is closed and handed on at start, so no captured line is lost or uploaded twice.
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Transport } from '../../drivers/transport.js';
import type { DeviceConfig } from '../config/sections/devices.js';
import { spoolDir } from './device-config.js';

export interface LinesCaptureOptions {
  device: DeviceConfig;
  transfersRoot: string;
  /** Makes an unopened line transport (each packet is one line). */
  createTransport: () => Promise<Transport>;
  /** A closed spool file (relative to the transfers root) is ready. */
  onRotated: (relPath: string) => Promise<void>;
  /** The link dropped or could not be opened. */
  onLost: (reason: string) => void;
  /** True while lines must not be written (storage low): they are counted as dropped. */
  holdWrites?: () => boolean;
  log: Logger;
  now?: () => number;
}

export interface LinesCaptureStats {
  capturing: boolean;
  file: string | null;
  lines: number;
  bytes: number;
  filesRotated: number;
  droppedLines: number;
}

const OPEN_SUFFIX = '.open';
// Lines received but not yet written: a chatty device on a stalled disk is dropped (and counted) past this.
const MAX_PENDING_BYTES = 4 * 1024 * 1024;

export class LinesCapture {
  private transport: Transport | null = null;
  private fh: FileHandle | null = null;
  private fileRel: string | null = null;
  private fileBytes = 0;
  private openedAt = 0;
  private seq = 0;
  private chain: Promise<void> = Promise.resolve();
  private rotateTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private opening = false;
  private pendingBytes = 0;
  private failing = false;
  private readonly now: () => number;
  private readonly log: Logger;
  readonly stats: LinesCaptureStats = { capturing: false, file: null, lines: 0, bytes: 0, filesRotated: 0, droppedLines: 0 };

  constructor(private readonly o: LinesCaptureOptions) {
    this.now = o.now ?? Date.now;
    this.log = o.log.child({ component: 'lines', device: o.device.id });
  }

  private get dirRel(): string {
    return spoolDir(this.o.device);
  }

  private abs(rel: string): string {
    return path.join(this.o.transfersRoot, rel);
  }

  /** Closes spool files a previous run left open and hands them on. */
  async recover(): Promise<void> {
    await mkdir(this.abs(this.dirRel), { recursive: true });
    for (const name of await readdir(this.abs(this.dirRel))) {
      if (!name.endsWith(OPEN_SUFFIX)) continue;
      const rel = path.posix.join(this.dirRel, name);
      const size = await stat(this.abs(rel)).then((s) => s.size, () => 0);
      if (size === 0) await rm(this.abs(rel), { force: true });
      else await this.finish(rel);
    }
  }

  /** Opens the device and captures until it goes away or stop() is called. */
  async start(): Promise<void> {
    if (this.transport || this.closed || this.opening) return;
    this.opening = true;
    let t: Transport;
    try {
      t = await this.o.createTransport();
      await t.open();
    } catch (e) {
      this.o.onLost((e as Error).message);
      return;
    } finally {
      this.opening = false;
    }
    if (this.closed) {
      await t.close();
      return;
    }
    this.transport = t;
    this.stats.capturing = true;
    this.log.info({ transport: t.description }, 'capturing lines');
    t.on('packet', (line: Uint8Array) => {
      if (this.pendingBytes >= MAX_PENDING_BYTES) {
        this.stats.droppedLines++;
        return;
      }
      this.pendingBytes += line.length + 1;
      this.enqueue(() => this.write(line).finally(() => (this.pendingBytes -= line.length + 1)));
    });
    t.on('error', (e: Error) => this.log.warn({ err: e.message }, 'line transport error'));
    t.once('close', (reason?: Error) => {
      if (this.transport !== t) return;
      this.transport = null;
      this.stats.capturing = false;
      this.enqueue(() => this.rotateNow());
      if (reason) this.o.onLost(reason.message);
    });
  }

  /** Stops capturing (device gone, agent stopping) and closes the current spool file. */
  async stop(): Promise<void> {
    const t = this.transport;
    this.transport = null;
    this.stats.capturing = false;
    await t?.close().catch(() => undefined);
    this.enqueue(() => this.rotateNow());
    await this.chain;
  }

  /** Closes the current spool file now (on demand); resolves with it, or null if it was empty. */
  rotate(): Promise<string | null> {
    let out: string | null = null;
    this.enqueue(async () => {
      out = await this.rotateNow();
    });
    return this.chain.then(() => out);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.stop();
  }

  private enqueue(step: () => Promise<unknown>): void {
    this.chain = this.chain.then(step).then(
      () => {
        if (this.failing) this.log.info('spool writes work again');
        this.failing = false;
      },
      (e: unknown) => {
        // Once per failing stretch, not once per line of a device that sends ten a second.
        if (!this.failing) this.log.error({ err: (e as Error).message }, 'spool write failed');
        this.failing = true;
      },
    );
  }

  private async write(line: Uint8Array): Promise<void> {
    if (this.o.holdWrites?.()) {
      this.stats.droppedLines++;
      return;
    }
    if (!this.fh) await this.openFile();
    const buf = Buffer.allocUnsafe(line.length + 1);
    buf.set(line, 0);
    buf[line.length] = 0x0a;
    await this.fh!.write(buf);
    this.fileBytes += buf.length;
    this.stats.lines++;
    this.stats.bytes += buf.length;
    if (this.fileBytes >= this.o.device.lines.rotateBytes) await this.rotateNow();
  }

  private async openFile(): Promise<void> {
    await mkdir(this.abs(this.dirRel), { recursive: true });
    const stamp = new Date(this.now()).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    const rel = path.posix.join(this.dirRel, `${this.o.device.id}-${stamp}-${String(++this.seq).padStart(4, '0')}.log${OPEN_SUFFIX}`);
    this.fh = await open(this.abs(rel), 'a');
    this.fileRel = rel;
    this.stats.file = rel;
    this.fileBytes = 0;
    this.openedAt = this.now();
    this.rotateTimer = setTimeout(() => this.enqueue(() => this.rotateNow()), this.o.device.lines.rotateSeconds * 1000);
    this.rotateTimer.unref();
  }

  private async rotateNow(): Promise<string | null> {
    if (this.rotateTimer) clearTimeout(this.rotateTimer);
    this.rotateTimer = null;
    const fh = this.fh;
    const rel = this.fileRel;
    this.fh = null;
    this.fileRel = null;
    this.stats.file = null;
    if (!fh || !rel) return null;
    try {
      await fh.sync();
    } finally {
      // A failed fsync leaves the ".open" file for the next start's recovery, never an open descriptor.
      await fh.close().catch(() => undefined);
    }
    if (this.fileBytes === 0) {
      await rm(this.abs(rel), { force: true });
      return null;
    }
    this.log.info({ file: rel, bytes: this.fileBytes, ageS: Math.round((this.now() - this.openedAt) / 1000) }, 'spool file rotated');
    return this.finish(rel);
  }

  private async finish(openRel: string): Promise<string> {
    const rel = openRel.slice(0, -OPEN_SUFFIX.length);
    await rename(this.abs(openRel), this.abs(rel));
    this.stats.filesRotated++;
    await this.o.onRotated(rel).catch((e: unknown) => this.log.warn({ file: rel, err: (e as Error).message }, 'spool file not queued for upload'));
    return rel;
  }
}
