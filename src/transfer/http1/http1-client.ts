// The download path's HTTP/1.1 client: one connection per request (`connection: close`), read into
// one reused 64 KiB buffer (`onread`), parsed in place (response-parser.ts), and each body chunk handed
// to the consumer as a view it copies at once (the part writer's ring). Measured against undici's
// client on the same writer: about a quarter of the CPU per byte, the same as curl (BENCHMARKS.md);
// undici allocates a fresh buffer per read, copies it into wasm memory and hops through a stream.
// Uploads, tus and size probes stay on undici. TLS: always verified, the configured CAs.
import net from 'node:net';
import tls from 'node:tls';
import { FerryError } from '../../errors.js';
import { ResponseParser, type ResponseHeaders } from './response-parser.js';

const READ_BUFFER = 64 * 1024;
export const MAX_HEAD_BYTES = 32 * 1024;

export interface Http1Options {
  connectTimeoutMs: number;
  /** Trusted CAs (the default roots when absent). */
  ca?: string[];
  maxHeadBytes?: number;
}

export interface Http1Request {
  method: string;
  headers: Record<string, string>;
  signal: AbortSignal;
}

/** A response body as the download pump reads it. */
export interface BodySource {
  /** Receives each chunk; a chunk is a view, valid during the call only (copy what is kept). */
  onData(fn: (chunk: Buffer) => void): void;
  pause(): void;
  resume(): void;
  isPaused(): boolean;
  /** Settles when the whole body was delivered; rejects on a network, framing or abort error. */
  ended(): Promise<void>;
  /** Drops the rest (closes the connection). */
  destroy(err?: Error): void;
  dump(): Promise<void>;
}

export interface Http1Response {
  statusCode: number;
  headers: ResponseHeaders;
  body: BodySource;
}

// Request-target and field checks: the values come from a client's enqueue (checked there) and from
// redirect Locations (parsed by URL); a CR or LF here would split the request, so it is refused again.
const SAFE_FIELD = /^[\t\x20-\x7e\x80-\xff]*$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Framing is ours: a client's copy of these would contradict the request we send.
const OWN_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive', 'upgrade', 'te']);

function requestHead(url: URL, req: Http1Request): string {
  if (!TOKEN.test(req.method)) throw new FerryError('BAD_REQUEST', `method ${JSON.stringify(req.method)}`);
  const target = `${url.pathname || '/'}${url.search}`;
  if (!/^[\x21-\x7e]+$/.test(target)) throw new FerryError('BAD_REQUEST', 'request target has characters that need encoding');
  let head = `${req.method} ${target} HTTP/1.1\r\nhost: ${url.host}\r\nconnection: close\r\n`;
  for (const [k, v] of Object.entries(req.headers)) {
    if (OWN_HEADERS.has(k.toLowerCase())) continue;
    if (!TOKEN.test(k) || !SAFE_FIELD.test(v)) throw new FerryError('BAD_REQUEST', `request header ${JSON.stringify(k)} cannot be sent`);
    head += `${k}: ${v}\r\n`;
  }
  return `${head}\r\n`;
}

class Body implements BodySource {
  private handler: ((chunk: Buffer) => void) | null = null;
  private held: Buffer[] = [];
  private paused = false;
  private endPending = false;
  private settled = false;
  private readonly done: Promise<void>;
  private resolveDone!: () => void;
  private rejectDone!: (e: Error) => void;

  constructor(private readonly socket: net.Socket) {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    this.done.catch(() => undefined); // a body nobody waits for (an error status) must not be an unhandled rejection
  }

  /** From the parser: delivered now when the consumer takes it, else copied and held (the socket pauses). */
  push(buf: Buffer, start: number, end: number): void {
    if (this.handler !== null && !this.paused && this.held.length === 0) {
      this.handler(buf.subarray(start, end));
      return;
    }
    this.held.push(Buffer.from(buf.subarray(start, end)));
    this.socket.pause();
  }

  /** From the parser: the body is complete. */
  end(): void {
    if (this.held.length > 0) this.endPending = true;
    else this.settle(null);
  }

  fail(e: Error): void {
    this.held = [];
    this.settle(e);
  }

  onData(fn: (chunk: Buffer) => void): void {
    this.handler = fn;
    this.drain();
  }

  pause(): void {
    this.paused = true;
    this.socket.pause();
  }

  resume(): void {
    this.paused = false;
    this.drain();
  }

  isPaused(): boolean {
    return this.paused;
  }

  ended(): Promise<void> {
    return this.done;
  }

  destroy(err?: Error): void {
    this.fail(err ?? new FerryError('CANCELLED', 'response body dropped'));
    this.socket.destroy();
  }

  async dump(): Promise<void> {
    // One connection per request: nothing to reuse, so the rest is not read.
    if (!this.settled) this.destroy();
  }

  private drain(): void {
    if (this.handler === null) return;
    while (!this.paused && this.held.length > 0) this.handler(this.held.shift()!);
    if (this.paused || this.held.length > 0) return;
    if (this.endPending) {
      this.endPending = false;
      this.settle(null);
    } else if (!this.settled) this.socket.resume();
  }

  private settle(e: Error | null): void {
    if (this.settled) return;
    this.settled = true;
    if (e) this.rejectDone(e);
    else {
      this.resolveDone();
      this.socket.destroy();
    }
  }
}

/** Sends one bodiless request and resolves with the final head; the body follows through `body`. */
export function http1Request(url: URL, req: Http1Request, opts: Http1Options): Promise<Http1Response> {
  return new Promise<Http1Response>((resolve, reject) => {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return reject(new FerryError('BAD_REQUEST', `unsupported scheme ${url.protocol}`));
    let head: string;
    try {
      head = requestHead(url, req);
    } catch (e) {
      return reject(e);
    }
    if (req.signal.aborted) return reject(req.signal.reason);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
    const buffer = Buffer.allocUnsafeSlow(READ_BUFFER);
    let body: Body | null = null;
    let answered = false;
    const parser = new ResponseParser(
      {
        onHead: (h) => {
          answered = true;
          body = new Body(socket);
          resolve({ statusCode: h.statusCode, headers: h.headers, body });
        },
        onBody: (buf, start, end) => body!.push(buf, start, end),
        onEnd: () => body!.end(),
      },
      { method: req.method, maxHeadBytes: opts.maxHeadBytes ?? MAX_HEAD_BYTES },
    );
    const onread = {
      buffer,
      callback: (n: number, buf: Uint8Array): boolean => {
        try {
          parser.execute(buf as Buffer, 0, n);
        } catch (e) {
          socket.destroy(e as Error);
        }
        return true;
      },
    };
    const common = { host, port, onread, noDelay: true, autoSelectFamily: true };
    const socket: net.Socket =
      url.protocol === 'https:'
        ? tls.connect({ ...common, ...(net.isIP(host) ? {} : { servername: host }), ...(opts.ca ? { ca: opts.ca } : {}), ALPNProtocols: ['http/1.1'] })
        : net.connect(common);
    const connectTimer = setTimeout(() => socket.destroy(new FerryError('TIMEOUT', `connect to ${url.host} timed out after ${opts.connectTimeoutMs / 1000} s`)), opts.connectTimeoutMs);
    connectTimer.unref();
    const onAbort = (): void => {
      socket.destroy(req.signal.reason instanceof Error ? req.signal.reason : new FerryError('CANCELLED', 'request aborted'));
    };
    req.signal.addEventListener('abort', onAbort, { once: true });
    socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
      clearTimeout(connectTimer);
      socket.write(head);
    });
    socket.on('end', () => {
      try {
        parser.finish();
      } catch (e) {
        socket.destroy(e as Error);
      }
    });
    socket.on('error', () => undefined); // reported through 'close'
    socket.once('close', () => {
      clearTimeout(connectTimer);
      req.signal.removeEventListener('abort', onAbort);
      const err = (socket as { errored?: Error | null }).errored ?? null;
      const failure = err ?? (parser.done ? null : new FerryError('NETWORK_ERROR', 'the connection closed before the response ended'));
      if (!answered) return reject(failure ?? new FerryError('NETWORK_ERROR', 'the connection closed without an answer'));
      if (failure) body!.fail(failure);
    });
  });
}
