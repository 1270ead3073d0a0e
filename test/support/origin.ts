// A fault-injecting HTTP(S) origin on loopback for transfer tests: files with ETag/Last-Modified/Range,
// per-request faults (drop, stall, status, wrong length), redirects, upload sinks, throttling, and a
// request log that says from the server's side which bytes were really sent or received per request.
import http from 'node:http';
import https from 'node:https';
import { createHash } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';

export type Fault =
  /** Send this many body bytes, then close the connection. */
  | { dropAfterBytes: number }
  /** Send this many body bytes, then go silent (until the client gives up). */
  | { stallAfterBytes: number }
  /** Answer this status (and headers) instead of the content. */
  | { status: number; headers?: Record<string, string> }
  /** Announce Content-Length larger by `delta` than what is sent, then close the connection. */
  | { contentLengthDelta: number };

export interface FileRoute {
  content: Buffer;
  /** Strong by default; null sends no ETag. */
  etag: string | null;
  lastModified: string | null;
  /** false: ignore Range and If-Range, send no Accept-Ranges (like a dumb server). */
  acceptRanges: boolean;
  /** Consumed one per request, in order. */
  faults: Fault[];
  throttleBytesPerSec: number | null;
  /** Replace the content (and its validators): a new version of the file. */
  setContent(content: Buffer, etag?: string | null): void;
}

export interface SinkRoute {
  /** Bodies of completed requests, in order. */
  bodies: Buffer[];
  status: number;
  faults: Fault[];
}

export interface RequestLogEntry {
  method: string;
  path: string;
  /** Start of the Range header, null when none was sent. */
  rangeStart: number | null;
  ifRange: string | null;
  status: number;
  bytesSent: number;
  bytesReceived: number;
  headers: http.IncomingHttpHeaders;
}

export interface Origin {
  readonly port: number;
  readonly base: string;
  url(path: string): string;
  file(path: string, content: Buffer, opts?: Partial<Pick<FileRoute, 'etag' | 'lastModified' | 'acceptRanges' | 'throttleBytesPerSec'>>): FileRoute;
  sink(path: string, status?: number): SinkRoute;
  redirect(path: string, location: string, status?: number): void;
  readonly log: RequestLogEntry[];
  /** Body bytes sent for `path` over all requests (what a client had to fetch). */
  bytesSent(path: string): number;
  close(): Promise<void>;
}

const CHUNK = 64 * 1024;
const etagOf = (b: Buffer): string => `"${createHash('sha256').update(b).digest('hex').slice(0, 16)}"`;

/** Writes with backpressure; resolves false when the client went away. */
function write(res: http.ServerResponse, chunk: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    if (res.destroyed) return resolve(false);
    const onClose = (): void => resolve(false);
    res.once('close', onClose);
    res.write(chunk, () => {
      res.off('close', onClose);
      resolve(!res.destroyed);
    });
  });
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startOrigin(opts: { tls?: { key: string; cert: string } } = {}): Promise<Origin> {
  const files = new Map<string, FileRoute>();
  const sinks = new Map<string, SinkRoute>();
  const redirects = new Map<string, { location: string; status: number }>();
  const log: RequestLogEntry[] = [];
  const sockets = new Set<Socket>();

  async function serveFile(route: FileRoute, req: http.IncomingMessage, res: http.ServerResponse, entry: RequestLogEntry): Promise<void> {
    req.resume();
    const fault = route.faults.shift();
    if (fault && 'status' in fault) {
      entry.status = fault.status;
      res.writeHead(fault.status, { 'content-type': 'text/plain', ...fault.headers });
      res.end(`status ${fault.status}\n`);
      return;
    }
    const len = route.content.length;
    let start = 0;
    let status = 200;
    const m = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ''));
    const ifRange = req.headers['if-range'];
    const validatorOk = ifRange === undefined || ifRange === route.etag || ifRange === route.lastModified;
    if (m && route.acceptRanges && validatorOk) {
      start = Number(m[1]);
      if (start >= len) {
        entry.status = 416;
        res.writeHead(416, { 'content-range': `bytes */${len}` });
        res.end();
        return;
      }
      status = 206;
    }
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
    if (route.etag) headers['etag'] = route.etag;
    if (route.lastModified) headers['last-modified'] = route.lastModified;
    if (route.acceptRanges) headers['accept-ranges'] = 'bytes';
    if (status === 206) headers['content-range'] = `bytes ${start}-${len - 1}/${len}`;
    const delta = fault && 'contentLengthDelta' in fault ? fault.contentLengthDelta : 0;
    headers['content-length'] = String(len - start + delta);
    entry.status = status;
    res.writeHead(status, headers);
    if (req.method === 'HEAD') return void res.end();
    const limit = fault && 'dropAfterBytes' in fault ? fault.dropAfterBytes : fault && 'stallAfterBytes' in fault ? fault.stallAfterBytes : Infinity;
    const stepBytes = route.throttleBytesPerSec ? Math.max(1, Math.floor(route.throttleBytesPerSec / 20)) : CHUNK;
    let pos = start;
    while (pos < len && entry.bytesSent < limit) {
      const n = Math.min(stepBytes, len - pos, limit - entry.bytesSent);
      if (!(await write(res, route.content.subarray(pos, pos + n)))) return;
      entry.bytesSent += n;
      pos += n;
      if (route.throttleBytesPerSec) await delay(50);
    }
    if (fault && 'stallAfterBytes' in fault) return; // silent until the client or close() ends it
    if ((fault && 'dropAfterBytes' in fault) || delta > 0) return void res.socket?.destroy();
    res.end();
  }

  async function serveSink(route: SinkRoute, req: http.IncomingMessage, res: http.ServerResponse, entry: RequestLogEntry): Promise<void> {
    const fault = route.faults.shift();
    const chunks: Buffer[] = [];
    const dropAt = fault && 'dropAfterBytes' in fault ? fault.dropAfterBytes : Infinity;
    const stallAt = fault && 'stallAfterBytes' in fault ? fault.stallAfterBytes : Infinity;
    for await (const c of req) {
      const b = c as Buffer;
      entry.bytesReceived += b.length;
      chunks.push(b);
      if (entry.bytesReceived >= dropAt) return void req.socket.destroy();
      if (entry.bytesReceived >= stallAt) return void req.pause();
    }
    if (fault && 'status' in fault) {
      entry.status = fault.status;
      res.writeHead(fault.status, fault.headers);
      return void res.end();
    }
    route.bodies.push(Buffer.concat(chunks));
    entry.status = route.status;
    res.writeHead(route.status, { 'content-length': '0' });
    res.end();
  }

  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const m = /^bytes=(\d+)-/.exec(String(req.headers.range ?? ''));
    const entry: RequestLogEntry = {
      method: req.method ?? '', path, rangeStart: m ? Number(m[1]) : null,
      ifRange: (req.headers['if-range'] as string | undefined) ?? null, status: 0, bytesSent: 0, bytesReceived: 0, headers: req.headers,
    };
    log.push(entry);
    const fail = (e: unknown): void => {
      res.destroy(e as Error);
    };
    const r = redirects.get(path);
    if (r) {
      req.resume();
      entry.status = r.status;
      res.writeHead(r.status, { location: r.location, 'content-length': '0' });
      return void res.end();
    }
    const f = files.get(path);
    if (f && (req.method === 'GET' || req.method === 'HEAD' || req.method === 'POST')) return void serveFile(f, req, res, entry).catch(fail);
    const s = sinks.get(path);
    if (s) return void serveSink(s, req, res, entry).catch(fail);
    req.resume();
    entry.status = 404;
    res.writeHead(404, { 'content-length': '0' });
    res.end();
  };

  const server = opts.tls ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }, handler) : http.createServer(handler);
  server.on(opts.tls ? 'secureConnection' : 'connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const base = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`;

  return {
    port,
    base,
    url: (p) => `${base}${p}`,
    file(path, content, o = {}) {
      const route: FileRoute = {
        content,
        etag: o.etag === undefined ? etagOf(content) : o.etag,
        lastModified: o.lastModified ?? null,
        acceptRanges: o.acceptRanges ?? true,
        throttleBytesPerSec: o.throttleBytesPerSec ?? null,
        faults: [],
        setContent(c, etag) {
          route.content = c;
          route.etag = etag === undefined ? etagOf(c) : etag;
        },
      };
      files.set(path, route);
      return route;
    },
    sink(path, status = 201) {
      const route: SinkRoute = { bodies: [], status, faults: [] };
      sinks.set(path, route);
      return route;
    },
    redirect(path, location, status = 302) {
      redirects.set(path, { location, status });
    },
    log,
    bytesSent: (p) => log.filter((e) => e.path === p).reduce((n, e) => n + e.bytesSent, 0),
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
