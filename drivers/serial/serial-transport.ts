// Transport for SMP over a serial port (UART or USB CDC-ACM) using the console framing.
// Packets that fail CRC or framing are dropped and reported with a 'drop' event, never as 'error'.
import { EventEmitter } from 'node:events';
import type { Transport, TransportError } from '../transport.js';
import { DEFAULT_LINE_LENGTH, encodeSerialFrames, SerialFrameDecoder, type DropReason } from './serial-framing.js';
import { SerialPortLink, type SerialBindingLike, type SerialPacing } from './serial-port-link.js';

export interface SerialTransportOptions {
  path: string;
  baudRate?: number;
  rtscts?: boolean;
  /** Frame size limit incl. marker and newline (Zephyr: 127; raise only if the device allows). */
  lineLength?: number;
  /**
   * Largest SMP packet the device reassembles. Default 256 fits Zephyr's default buffers; the
   * client also honours the buffer size the device reports (mcumgr params).
   */
  mtu?: number;
  pacing?: SerialPacing;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Events: 'packet' (Uint8Array), 'close' (TransportError | undefined), 'drop' ({reason, detail}),
 * 'text' (string: console lines that are not SMP frames).
 */
export class SerialTransport extends EventEmitter implements Transport {
  readonly kind = 'serial' as const;
  readonly description: string;
  readonly mtu: number;
  private readonly lineLength: number;
  private readonly link: SerialPortLink;
  private readonly decoder: SerialFrameDecoder;

  constructor(binding: SerialBindingLike, opts: SerialTransportOptions) {
    super();
    this.description = `serial:${opts.path}`;
    this.mtu = opts.mtu ?? 256;
    this.lineLength = opts.lineLength ?? DEFAULT_LINE_LENGTH;
    this.decoder = new SerialFrameDecoder(
      {
        onPacket: (p) => this.emit('packet', p),
        onDrop: (reason: DropReason, detail: string) => this.emit('drop', { reason, detail }),
        onText: (line) => this.emit('text', line),
      },
      { maxPacketLength: 0xffff },
    );
    this.link = new SerialPortLink(binding, opts, {
      onData: (bytes) => this.decoder.push(bytes),
      onClose: (reason?: TransportError) => this.emit('close', reason),
    });
  }

  get isOpen(): boolean {
    return this.link.isOpen;
  }

  open(): Promise<void> {
    return this.link.open();
  }

  send(packet: Uint8Array): Promise<void> {
    return this.link.write(encodeSerialFrames(packet, this.lineLength));
  }

  close(): Promise<void> {
    return this.link.close();
  }
}
