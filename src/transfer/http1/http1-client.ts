// Ferry's HTTP/1.1 client, for every request the transfer engine sends (downloads, uploads, tus, size
// probes): reads into one reused 64 KiB buffer per connection (`onread`), or straight into memory the body's
// consumer lends (the part writer's ring: no copy), parses in place (response-parser.ts), and hands each body
// chunk to the consumer as a view it takes at once. Measured against undici's client on the same writer:
// about a quarter of the CPU per byte, the same as curl (BENCHMARKS.md); undici allocates a fresh buffer per
// read, copies it into wasm memory and hops through a stream. A request body (an upload) is framed by its
// length and written with the socket's back-pressure: over plain HTTP straight from its file with sendfile
// (no copy through JavaScript), else chunk by chunk.
// Connections are kept for the next GET to the same origin (a queue of small files pays one TCP and TLS
// handshake, not one each: on a metered link the handshake is kilobytes); a kept connection the server
// closed meanwhile is replaced once, before any byte of an answer. TLS: always verified, configured CAs.
import net from 'node:net';
import tls from 'node:tls';
import { FerryError } from '../../errors.js';
import { ResponseParser, type ResponseHeaders } from './response-parser.js';
import { MAX_BATCH, TLS_RECORD_MARGIN, WakeBatcher } from './wake-batching.js';

// Heads, and bodies whose consumer lends no buffer of its own.
const READ_BUFFER = 64 * 1024;
// A read into the consumer's buffer (the part writer's ring): larger reads, fewer wake-ups per byte.
const LENT_READ = MAX_BATCH;
export const MAX_HEAD_BYTES = 32 * 1024;
/** An idle connection is closed after this long (servers commonly keep them 5–75 s). */
const IDLE_MS = 4000;
const MAX_IDLE_PER_ORIGIN = 4;

export interface Http1Options {
  connectTimeoutMs: number;
  /** Trusted CAs (the default roots when absent). */
  ca?: string[];
  maxHeadBytes?: number;
  /** Keep connections for the next GET to the same origin (default true). */
  keepAlive?: boolean;
  /** SO_RCVLOWAT on a socket (system/native.ts, the addon): bodies on a slow link are read in batches
   * (wake-batching.ts). A throw (no descriptor, no addon) turns batching off for that socket. */
  setRcvLowat?: (socket: net.Socket, bytes: number) => void;
  /** The batcher's fallback delay (wake-batching.ts LATE_MS); tests set it long so a missed wake-up hangs. */
  batchLateMs?: number;
  /** sendfile (the addon): a request body with a file region goes out without a copy over plain HTTP. */
  fileSender?: FileSender;
}

/** A request body of a known length: the chunks are written in order, each once the socket took the one before. */
export interface RequestBody {
  length: number;
  chunks: AsyncIterable<Uint8Array>;
  /** The same bytes as a region of an open file, which a plain-HTTP connection sends with sendfile instead. */
  file?: FileRegion;
  /** Called once the client stopped writing this body (all of it, or the connection ended first), with the
   * bytes the kernel took. An answer can be read before the last write's completion is (sendfile completes
   * on the thread pool): a caller that compares what it sent waits for this, not for the answer. */
  settled?: (written: number) => void;
}

/** `length` bytes of an open file from `offset`; nothing else reads through the descriptor meanwhile. */
export interface FileRegion {
  fd: number;
  offset: number;
  /** Resolves with the most bytes to send at once, after waiting while a bandwidth limit is in debt. */
  ready(): Promise<number>;
  /** `n` bytes went into the socket (byte accounting, progress, the no-progress watchdog). */
  taken(n: number): void;
}

/** Sending a file past Node's write queue (system/native.ts, the addon). */
export interface FileSender {
  sendFile(socket: net.Socket, fileFd: number, offset: number, count: number): Promise<{ sent: number; full: boolean }>;
  waitWritable(socket: net.Socket, timeoutMs: number): Promise<boolean>;
}

export interface Http1Request {
  method: string;
  headers: Record<string, string>;
  signal: AbortSignal;
  body?: RequestBody;
}

/** A response body as the download pump reads it. */
export interface BodySource {
  /** Receives each chunk; a chunk is a view, valid during the call only (copy what is kept). */
  onData(fn: (chunk: Buffer) => void): void;
  /** Offers the consumer's own memory for the next reads (`lend(max)`: a view, or null for the client's own
   * buffer). The chunks of such a read are views of it; the consumer takes each before lending again. */
  readInto(lend: (max: number) => Buffer | null): void;
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
// Methods whose bodiless requests carry no Content-Length; any other says 0 (nginx answers 411 to a POST without).
const BODILESS = new Set(['GET', 'HEAD']);

function requestHead(url: URL, req: Http1Request, keepAlive: boolean): string {
  if (!TOKEN.test(req.method)) throw new FerryError('BAD_REQUEST', `method ${JSON.stringify(req.method)}`);
  const target = `${url.pathname || '/'}${url.search}`;
  if (!/^[\x21-\x7e]+$/.test(target)) throw new FerryError('BAD_REQUEST', 'request target has characters that need encoding');
  let head = `${req.method} ${target} HTTP/1.1\r\nhost: ${url.host}\r\n${keepAlive ? '' : 'connection: close\r\n'}`;
  const length = req.body?.length ?? (BODILESS.has(req.method) ? null : 0);
  if (length !== null) {
    if (!Number.isSafeInteger(length) || length < 0) throw new FerryError('INTERNAL', `request body length ${length}`);
    head += `content-length: ${length}\r\n`;
  }
  for (const [k, v] of Object.entries(req.headers)) {
    if (OWN_HEADERS.has(k.toLowerCase())) continue;
    if (!TOKEN.test(k) || !SAFE_FIELD.test(v)) throw new FerryError('BAD_REQUEST', `request header ${JSON.stringify(k)} cannot be sent`);
    head += `${k}: ${v}\r\n`;
  }
  return `${head}\r\n`;
}

/** What one request does with its connection's reads and end; a kept idle connection has none. */
interface Exchange {
  read(n: number, buf: Buffer): void;
  /** Where the next read goes: a buffer the body's consumer lends, or null for the connection's own. */
  nextBuffer(): Buffer | null;
  end(): void;
  closed(err: Error | null): void;
  /** The exchange is over (its body delivered): it stops listening to its abort signal. */
  detach(): void;
}

interface Conn {
  socket: net.Socket;
  key: string;
  current: Exchange | null;
  idleTimer: NodeJS.Timeout | null;
}

class Body implements BodySource {
  private handler: ((chunk: Buffer) => void) | null = null;
  private lend: ((max: number) => Buffer | null) | null = null;
  private held: Buffer[] = [];
  private paused = false;
  private endPending = false;
  private settled = false;
  private readonly done: Promise<void>;
  private resolveDone!: () => void;
  private rejectDone!: (e: Error) => void;

  constructor(
    private readonly socket: net.Socket,
    /** Called once the whole body was delivered: the connection is kept or closed. */
    private readonly finished: () => void,
  ) {
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

  readInto(lend: (max: number) => Buffer | null): void {
    this.lend = lend;
  }

  /** Lends only while every chunk goes straight to the consumer: a held chunk is a copy, never a view. */
  nextBuffer(): Buffer | null {
    if (this.lend === null || this.handler === null || this.paused || this.settled || this.held.length > 0) return null;
    return this.lend(LENT_READ);
  }

  pause(): void {
    this.paused = true;
    if (!this.settled) this.socket.pause();
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
    if (this.settled) return;
    this.fail(err ?? new FerryError('CANCELLED', 'response body dropped'));
    this.socket.destroy();
  }

  async dump(): Promise<void> {
    // The rest is not read: the connection closes instead (a redirect's or an error's body is small anyway).
    this.destroy();
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
    if (e) return this.rejectDone(e);
    this.finished();
    this.resolveDone();
  }
}

export class Http1Client {
  private readonly idle = new Map<string, Conn[]>();
  private closed = false;

  constructor(private readonly opts: Http1Options) {}

  /** Sends one request and resolves with the final head; the response body follows through `body`. */
  async request(url: URL, req: Http1Request): Promise<Http1Response> {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new FerryError('BAD_REQUEST', `unsupported scheme ${url.protocol}`);
    // Only a request that may be sent twice rides a kept connection (its first try may meet a close).
    const keepAlive = this.opts.keepAlive !== false && (req.method === 'GET' || req.method === 'HEAD');
    const head = requestHead(url, req, keepAlive);
    if (req.signal.aborted) throw req.signal.reason;
    const key = `${url.protocol}//${url.host}`;
    const kept = keepAlive ? this.takeIdle(key) : null;
    if (kept) {
      try {
        return await this.exchange(kept, url, req, head, keepAlive, true);
      } catch (e) {
        if (!(e instanceof StaleConnection)) throw e;
      }
    }
    return this.exchange(this.connect(url, key), url, req, head, keepAlive, false);
  }

  /** Closes the kept connections. */
  close(): void {
    this.closed = true;
    for (const list of this.idle.values()) for (const c of list) c.socket.destroy();
    this.idle.clear();
  }

  get idleConnections(): number {
    let n = 0;
    for (const list of this.idle.values()) n += list.length;
    return n;
  }

  private connect(url: URL, key: string): Conn {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
    const buffer = Buffer.allocUnsafeSlow(READ_BUFFER);
    let conn: Conn | null = null; // set right below; no read can come before the connection is up
    const onread = {
      // Asked after every read, for the next one.
      buffer: (): Buffer => conn?.current?.nextBuffer() ?? buffer,
      callback: (n: number, buf: Uint8Array): boolean => {
        if (conn?.current) conn.current.read(n, buf as Buffer);
        else conn?.socket.destroy(); // bytes nobody asked for on an idle connection: it is not reused
        return true;
      },
    };
    const common = { host, port, onread, noDelay: true, autoSelectFamily: true };
    const socket =
      url.protocol === 'https:'
        ? tls.connect({ ...common, ...(net.isIP(host) ? {} : { servername: host }), ...(this.opts.ca ? { ca: this.opts.ca } : {}), ALPNProtocols: ['http/1.1'] })
        : net.connect(common);
    const c: Conn = { socket, key, current: null, idleTimer: null };
    conn = c;
    const connectTimer = setTimeout(() => socket.destroy(new FerryError('TIMEOUT', `connect to ${url.host} timed out after ${this.opts.connectTimeoutMs / 1000} s`)), this.opts.connectTimeoutMs);
    connectTimer.unref();
    socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
    socket.on('end', () => {
      if (c.current) c.current.end();
      else socket.destroy();
    });
    socket.on('error', () => undefined); // reported through 'close'
    socket.once('close', () => {
      clearTimeout(connectTimer);
      this.forget(c);
      c.current?.closed((socket as { errored?: Error | null }).errored ?? null);
    });
    return c;
  }

  private exchange(conn: Conn, url: URL, req: Http1Request, head: string, keepAlive: boolean, reused: boolean): Promise<Http1Response> {
    return new Promise<Http1Response>((resolve, reject) => {
      const { socket } = conn;
      let body: Body | null = null;
      let answered = false;
      let reusable = false;
      let gotBytes = false;
      let batcher: WakeBatcher | null = null;
      const parser = new ResponseParser(
        {
          onHead: (h) => {
            answered = true;
            reusable = keepAlive && h.reusable;
            body = new Body(socket, () => {
              batcher?.reset();
              this.finished(conn, exchange, reusable);
            });
            batcher = this.batcher(socket, url);
            resolve({ statusCode: h.statusCode, headers: h.headers, body });
          },
          onBody: (buf, start, end) => body!.push(buf, start, end),
          onEnd: () => body!.end(),
        },
        { method: req.method, maxHeadBytes: this.opts.maxHeadBytes ?? MAX_HEAD_BYTES },
      );
      const onAbort = (): void => {
        socket.destroy(req.signal.reason instanceof Error ? req.signal.reason : new FerryError('CANCELLED', 'request aborted'));
      };
      const exchange: Exchange = {
        read: (n, buf) => {
          gotBytes = true;
          try {
            parser.execute(buf, 0, n);
            batcher?.onRead(n, parser.lengthLeft);
            if (parser.leftover) socket.destroy(); // more than the answer: the connection is out of step, never kept
          } catch (e) {
            socket.destroy(e as Error);
          }
        },
        end: () => {
          try {
            parser.finish();
          } catch (e) {
            socket.destroy(e as Error);
          }
        },
        closed: (err) => {
          batcher?.stop();
          req.signal.removeEventListener('abort', onAbort);
          // A kept connection the server had closed: nothing of an answer came, so the request is sent again.
          if (!answered && reused && !gotBytes && !req.signal.aborted) return reject(new StaleConnection());
          const failure = err ?? (parser.done ? null : new FerryError('NETWORK_ERROR', 'the connection closed before the response ended'));
          if (!answered) return reject(failure ?? new FerryError('NETWORK_ERROR', 'the connection closed without an answer'));
          if (failure) body!.fail(failure);
        },
        nextBuffer: () => body?.nextBuffer() ?? null,
        detach: () => req.signal.removeEventListener('abort', onAbort),
      };
      conn.current = exchange;
      req.signal.addEventListener('abort', onAbort, { once: true });
      const send = (): void => {
        const body = req.body;
        const file = body?.file;
        const sender = this.opts.fileSender;
        // sendfile writes past Node's queue: it starts once the head is in the kernel.
        if (body && file && sender && url.protocol === 'http:') {
          void writeThrough(socket, head)
            .then(() => sendRegion(socket, body.length, file, sender))
            .then((n) => body.settled?.(n));
          return;
        }
        socket.write(head);
        if (body) void writeBody(socket, body).then((n) => body.settled?.(n));
      };
      if (reused) {
        socket.resume();
        send();
      } else socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', send);
    });
  }

  private batcher(socket: net.Socket, url: URL): WakeBatcher | null {
    const set = this.opts.setRcvLowat;
    if (!set) return null;
    return new WakeBatcher({
      apply: (bytes) => set(socket, bytes),
      margin: url.protocol === 'https:' ? TLS_RECORD_MARGIN : 0,
      ...(this.opts.batchLateMs !== undefined ? { lateMs: this.opts.batchLateMs } : {}),
    });
  }

  /** The whole body was delivered: the connection is kept for the next request, or closed. */
  private finished(conn: Conn, exchange: Exchange, reusable: boolean): void {
    exchange.detach();
    if (conn.current !== exchange) return;
    conn.current = null;
    const list = this.idle.get(conn.key) ?? [];
    if (!reusable || this.closed || conn.socket.destroyed || list.length >= MAX_IDLE_PER_ORIGIN) {
      conn.socket.destroy();
      return;
    }
    list.push(conn);
    this.idle.set(conn.key, list);
    conn.socket.resume(); // a close or stray bytes while idle are noticed at once
    conn.idleTimer = setTimeout(() => conn.socket.destroy(), IDLE_MS);
    conn.idleTimer.unref();
  }

  private takeIdle(key: string): Conn | null {
    const list = this.idle.get(key);
    while (list && list.length > 0) {
      const c = list.pop()!;
      if (c.idleTimer) clearTimeout(c.idleTimer);
      c.idleTimer = null;
      if (!c.socket.destroyed) return c;
    }
    return null;
  }

  private forget(conn: Conn): void {
    if (conn.idleTimer) clearTimeout(conn.idleTimer);
    const list = this.idle.get(conn.key);
    const i = list?.indexOf(conn) ?? -1;
    if (i >= 0) list!.splice(i, 1);
  }
}

class StaleConnection extends Error {}

/** Resolves once the socket drained its write queue, or closed. */
function drained(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

// The most one sendfile call moves: progress, the watchdog and an abort are looked at between calls.
const SENDFILE_MAX = 8 * 1024 * 1024;
// A wait for room ends after this long to look at the connection again (closed meanwhile: stop).
const WAIT_MS = 1000;

/** Resolves once Node handed `buf` to the kernel (its write callback), or the socket closed. */
function writeThrough(socket: net.Socket, buf: Buffer | string): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('close', done);
      resolve();
    };
    socket.once('close', done);
    socket.write(buf, done);
  });
}

/**
 * Sends a body that is a file region with sendfile on the thread pool; when the socket is full, waits for
 * room on Node's loop (the addon's waitWritable: a third of the buffer free, so each call moves a batch).
 * Stops when the connection ends first; closes it with LENGTH_MISMATCH when the file ends short (it shrank),
 * and with a send error as that error. Resolves with the bytes sent; never rejects.
 */
async function sendRegion(socket: net.Socket, length: number, file: FileRegion, sender: FileSender): Promise<number> {
  let pos = file.offset;
  const end = file.offset + length;
  try {
    while (pos < end) {
      const most = await file.ready();
      // Checked right before each call: the runner closes the file only after the connection is gone.
      if (socket.destroyed) break;
      const { sent, full } = await sender.sendFile(socket, file.fd, pos, Math.min(end - pos, most, SENDFILE_MAX));
      if (sent > 0) {
        pos += sent;
        file.taken(sent);
      }
      if (pos >= end || socket.destroyed) break;
      if (full) await sender.waitWritable(socket, WAIT_MS);
      else if (sent === 0) throw new FerryError('LENGTH_MISMATCH', `the request body ended after ${pos - file.offset} of ${length} bytes (the source shrank)`);
    }
  } catch (e) {
    socket.destroy(e instanceof Error ? e : new FerryError('INTERNAL', String(e)));
  }
  return pos - file.offset;
}

/**
 * Writes a request body after its head, the next chunk asked for only once the socket took the last one (the
 * source reuses its buffers on that promise: upload-source.ts). Stops when the connection ends first (an early
 * answer, an abort): leaving the loop returns the iterator, which settles its read in flight. A body that
 * ends short of or runs past its length, or whose source fails, closes the connection with that error.
 * Resolves, once the last write completed or failed, with the bytes the kernel took (a write Node still
 * queued when the connection closed is not counted); never rejects.
 */
async function writeBody(socket: net.Socket, body: RequestBody): Promise<number> {
  let written = 0;
  let flushed = 0;
  let last: Promise<void> = Promise.resolve();
  try {
    for await (const chunk of body.chunks) {
      if (socket.destroyed) break;
      written += chunk.length;
      if (written > body.length) throw new FerryError('LENGTH_MISMATCH', `the request body ran past its ${body.length} bytes`);
      const n = chunk.length;
      let done!: () => void;
      last = new Promise<void>((resolve) => (done = resolve));
      // Callbacks run in write order, with an error for a write a close cut off.
      const ok = socket.write(chunk, (err) => {
        if (!err) flushed += n;
        done();
      });
      if (!ok) await drained(socket);
    }
    if (written < body.length && !socket.destroyed) {
      throw new FerryError('LENGTH_MISMATCH', `the request body ended after ${written} of ${body.length} bytes (the source shrank)`);
    }
  } catch (e) {
    socket.destroy(e instanceof Error ? e : new FerryError('INTERNAL', String(e)));
  }
  await untilClosedOr(socket, last);
  return flushed;
}

/** Resolves once `p` settled or the socket closed, whichever comes first. */
function untilClosedOr(socket: net.Socket, p: Promise<void>): Promise<void> {
  if (socket.closed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('close', done);
      resolve();
    };
    socket.on('close', done);
    void p.then(done);
  });
}

/** One request on a connection of its own, closed after it (tests; the engine keeps one client for all its requests). */
export function http1Request(url: URL, req: Http1Request, opts: Http1Options): Promise<Http1Response> {
  return new Http1Client({ ...opts, keepAlive: false }).request(url, req);
}
