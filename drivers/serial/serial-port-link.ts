// An open serial port as a byte pipe: a read loop, paced writes, and one 'close' when the port goes
// away (unplug, read error, its device node removed) or is closed. Built on a minimal facade of
// serialport's BindingInterface.
import { stat } from 'node:fs/promises';
import { TransportError } from '../transport.js';

/** The part of `@serialport/bindings-interface` BindingInterface we use; pass bindings-cpp's autoDetect(). */
export interface SerialBindingLike {
  open(options: { path: string; baudRate: number; lock?: boolean; rtscts?: boolean }): Promise<SerialPortLike>;
}

export interface SerialPortLike {
  read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }>;
  write(buffer: Buffer): Promise<void>;
  drain(): Promise<void>;
  close(): Promise<void>;
}

export interface SerialPacing {
  /** Pause after each frame/line written, so a device with a small RX buffer keeps up (default 0). */
  frameDelayMs?: number;
  /** Cap on the write rate, e.g. the device's UART rate /10 (default: unlimited). */
  bytesPerSecond?: number;
}

export interface SerialLinkOptions {
  path: string;
  baudRate?: number;
  rtscts?: boolean;
  pacing?: SerialPacing;
  /** Injected for fake time in tests. */
  sleep?: (ms: number) => Promise<void>;
  /**
   * How often an open port checks that its device node still exists (default 1000 ms; 0: never).
   * bindings-cpp's read retries a 0-byte read forever, which is what a hung-up tty (unplugged USB
   * serial, a pty whose other end closed) returns: the read never fails, it spins (bindings-cpp #162).
   * The node disappearing is how such an unplug shows, so an idle link still closes with DISCONNECTED.
   */
  nodeCheckMs?: number;
}

export interface SerialLinkHandlers {
  onData(bytes: Uint8Array): void;
  onClose(reason: TransportError | undefined): void;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function wrap(e: unknown, path: string, what: string): TransportError {
  const err = e as { code?: string; message?: string };
  const code = err.code === 'ENOENT' ? 'NOT_FOUND'
    : err.code === 'EBUSY' || /lock/i.test(err.message ?? '') ? 'BUSY'
    : err.code === 'EACCES' ? 'UNAVAILABLE' : 'IO';
  return new TransportError(code, `${what} ${path}: ${err.message ?? String(e)}`, { cause: e });
}

export class SerialPortLink {
  private port: SerialPortLike | undefined;
  private closing = false;
  private writeChain: Promise<void> = Promise.resolve();
  private readonly sleep: (ms: number) => Promise<void>;
  private nodeCheck: NodeJS.Timeout | undefined;

  constructor(
    private readonly binding: SerialBindingLike,
    private readonly opts: SerialLinkOptions,
    private readonly handlers: SerialLinkHandlers,
  ) {
    this.sleep = opts.sleep ?? defaultSleep;
  }

  get isOpen(): boolean {
    return this.port !== undefined && !this.closing;
  }

  async open(): Promise<void> {
    if (this.port) return;
    try {
      this.port = await this.binding.open({ path: this.opts.path, baudRate: this.opts.baudRate ?? 115200, rtscts: this.opts.rtscts ?? false });
    } catch (e) {
      throw wrap(e, this.opts.path, 'cannot open');
    }
    this.closing = false;
    void this.readLoop(this.port);
    const every = this.opts.nodeCheckMs ?? 1000;
    if (every > 0) {
      this.nodeCheck = setInterval(() => void this.checkNode(), every);
      this.nodeCheck.unref();
    }
  }

  /** Writes each chunk in order, pacing between them. Chunks are frames or lines. */
  write(chunks: Uint8Array[]): Promise<void> {
    const run = this.writeChain.then(() => this.writeNow(chunks));
    this.writeChain = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    await this.shutdown(undefined);
  }

  private async writeNow(chunks: Uint8Array[]): Promise<void> {
    const { frameDelayMs = 0, bytesPerSecond } = this.opts.pacing ?? {};
    for (const chunk of chunks) {
      const port = this.port;
      if (!port || this.closing) throw new TransportError('DISCONNECTED', `${this.opts.path} is closed`);
      try {
        await port.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if (frameDelayMs > 0 || bytesPerSecond) await port.drain();
      } catch (e) {
        const err = wrap(e, this.opts.path, 'write failed on');
        void this.shutdown(new TransportError('DISCONNECTED', err.message, { cause: e }));
        throw new TransportError('DISCONNECTED', err.message, { cause: e });
      }
      const wait = Math.max(frameDelayMs, bytesPerSecond ? (chunk.length * 1000) / bytesPerSecond : 0);
      if (wait > 0) await this.sleep(wait);
    }
  }

  private async readLoop(port: SerialPortLike): Promise<void> {
    const buf = Buffer.alloc(4096);
    for (;;) {
      try {
        const { bytesRead } = await port.read(buf, 0, buf.length);
        if (this.port !== port || this.closing) return;
        // Copy: the read buffer is reused, consumers may keep what they get.
        this.handlers.onData(Uint8Array.prototype.slice.call(buf, 0, bytesRead));
      } catch (e) {
        if (this.port !== port || this.closing || (e as { canceled?: boolean }).canceled) return;
        await this.shutdown(new TransportError('DISCONNECTED', `${this.opts.path} went away: ${(e as Error).message}`, { cause: e }));
        return;
      }
    }
  }

  private async checkNode(): Promise<void> {
    const gone = await stat(this.opts.path).then(() => false, (e: { code?: string }) => e.code === 'ENOENT');
    if (gone) await this.shutdown(new TransportError('DISCONNECTED', `${this.opts.path} went away: the device node was removed`));
  }

  private async shutdown(reason: TransportError | undefined): Promise<void> {
    const port = this.port;
    if (!port || this.closing) return;
    this.closing = true;
    clearInterval(this.nodeCheck);
    this.nodeCheck = undefined;
    try {
      await port.close();
    } catch {
      // already gone (unplugged): nothing left to release
    }
    this.port = undefined;
    this.handlers.onClose(reason);
  }
}
