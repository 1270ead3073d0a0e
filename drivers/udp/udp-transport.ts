// Transport for SMP over UDP (Zephyr's default port 1337): one SMP packet per datagram, on a socket
// connected to the device so the kernel filters out strangers. UDP has no link: 'close' only on close().
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import { TransportError, type Transport } from '../transport.js';

/** The part of a node:dgram Socket we use. */
export interface UdpSocketLike {
  connect(port: number, address: string, callback: () => void): void;
  send(msg: Uint8Array, callback: (err: Error | null) => void): void;
  close(callback?: () => void): void;
  on(event: 'message', listener: (msg: Buffer) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  once(event: 'error', listener: (err: Error) => void): this;
  off(event: 'error', listener: (err: Error) => void): this;
}

export type CreateUdpSocket = (type: 'udp4' | 'udp6') => UdpSocketLike;

export const SMP_UDP_PORT = 1337;

export interface UdpTransportOptions {
  host: string;
  port?: number;
  /** Largest datagram we send; default 1024 stays under Ethernet's 1472-byte UDP payload. */
  mtu?: number;
}

/** Events: 'packet' (Uint8Array), 'close', 'drop' ({reason, detail}) for ICMP errors from the peer. */
export class UdpTransport extends EventEmitter implements Transport {
  readonly kind = 'udp' as const;
  readonly description: string;
  readonly mtu: number;
  private socket: UdpSocketLike | undefined;

  constructor(private readonly createSocket: CreateUdpSocket, private readonly opts: UdpTransportOptions) {
    super();
    this.description = `udp:${opts.host}:${opts.port ?? SMP_UDP_PORT}`;
    this.mtu = opts.mtu ?? 1024;
  }

  get isOpen(): boolean {
    return this.socket !== undefined;
  }

  async open(): Promise<void> {
    if (this.socket) return;
    const socket = this.createSocket(isIP(this.opts.host) === 6 ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error) => reject(new TransportError('UNAVAILABLE', `cannot reach ${this.description}: ${e.message}`, { cause: e }));
      socket.once('error', onError);
      socket.connect(this.opts.port ?? SMP_UDP_PORT, this.opts.host, () => {
        socket.off('error', onError);
        resolve();
      });
    }).catch((e) => {
      socket.close();
      throw e;
    });
    socket.on('message', (msg) => this.emit('packet', new Uint8Array(msg)));
    // ECONNREFUSED from an ICMP port-unreachable is not fatal: the device may just be rebooting.
    socket.on('error', (e) => this.emit('drop', { reason: 'socket-error', detail: e.message }));
    this.socket = socket;
  }

  send(packet: Uint8Array): Promise<void> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new TransportError('DISCONNECTED', `${this.description} is closed`));
    return new Promise((resolve, reject) => {
      socket.send(packet, (err) => {
        if (!err) return resolve();
        // A refused send means nobody listens right now; the request will time out and retry.
        if ((err as NodeJS.ErrnoException).code === 'ECONNREFUSED') return resolve();
        reject(new TransportError('IO', `send to ${this.description} failed: ${err.message}`, { cause: err }));
      });
    });
  }

  async close(): Promise<void> {
    const socket = this.socket;
    if (!socket) return;
    this.socket = undefined;
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    this.emit('close', undefined);
  }
}
