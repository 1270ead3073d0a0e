// Transport for line-oriented serial devices (NMEA, CSV loggers): each received line is a packet.
// Lines end at '\n' (a trailing '\r' is removed); over-long lines are dropped, not split.
import { EventEmitter } from 'node:events';
import type { Transport, TransportError } from '../transport.js';
import { SerialPortLink, type SerialBindingLike, type SerialPacing } from './serial-port-link.js';

export interface LineTransportOptions {
  path: string;
  baudRate?: number;
  rtscts?: boolean;
  /** Longest accepted line in bytes (default 4096); also the largest line `send` takes. */
  maxLineLength?: number;
  /** Appended to each sent line (default "\r\n", what NMEA and most AT-style devices expect). */
  lineEnding?: string;
  pacing?: SerialPacing;
  sleep?: (ms: number) => Promise<void>;
}

/** Events: 'packet' (Uint8Array, without terminator), 'line' (string, utf8), 'close', 'drop'. */
export class LineTransport extends EventEmitter implements Transport {
  readonly kind = 'serial' as const;
  readonly description: string;
  readonly mtu: number;
  private readonly ending: Uint8Array;
  private readonly link: SerialPortLink;
  private buf: number[] = [];
  private overlong = false;

  constructor(binding: SerialBindingLike, opts: LineTransportOptions) {
    super();
    this.description = `serial:${opts.path}`;
    this.mtu = opts.maxLineLength ?? 4096;
    this.ending = Buffer.from(opts.lineEnding ?? '\r\n', 'utf8');
    this.link = new SerialPortLink(binding, opts, {
      onData: (bytes) => this.push(bytes),
      onClose: (reason?: TransportError) => this.emit('close', reason),
    });
  }

  get isOpen(): boolean {
    return this.link.isOpen;
  }

  open(): Promise<void> {
    return this.link.open();
  }

  /** Sends one line; the line ending is added here. */
  send(line: Uint8Array): Promise<void> {
    const out = new Uint8Array(line.length + this.ending.length);
    out.set(line, 0);
    out.set(this.ending, line.length);
    return this.link.write([out]);
  }

  sendLine(text: string): Promise<void> {
    return this.send(Buffer.from(text, 'utf8'));
  }

  close(): Promise<void> {
    return this.link.close();
  }

  private push(bytes: Uint8Array): void {
    for (const b of bytes) {
      if (b === 0x0a) {
        if (this.overlong) this.emit('drop', { reason: 'line-too-long', detail: `line over ${this.mtu} bytes` });
        else this.deliver();
        this.buf = [];
        this.overlong = false;
      } else if (this.buf.length >= this.mtu) {
        this.overlong = true;
      } else {
        this.buf.push(b);
      }
    }
  }

  private deliver(): void {
    let end = this.buf.length;
    if (end > 0 && this.buf[end - 1] === 0x0d) end--;
    const line = Uint8Array.from(this.buf.slice(0, end));
    this.emit('packet', line);
    this.emit('line', Buffer.from(line).toString('utf8'));
  }
}
