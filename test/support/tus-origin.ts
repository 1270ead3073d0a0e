// A real tus 1.0 server (@tus/server + @tus/file-store) on loopback, with a knob to cut the
// connection in the middle of the next PATCH body, and a log of PATCH offsets and bytes received.
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo, Socket } from 'node:net';
import { Server } from '@tus/server';
import { FileStore } from '@tus/file-store';

export interface TusLogEntry {
  method: string;
  path: string;
  uploadOffset: number | null;
  bytesReceived: number;
}

export interface TusOrigin {
  /** The creation endpoint (POST here). */
  readonly url: string;
  /** Folder where the file store keeps uploads (file name = upload id). */
  readonly dir: string;
  readonly log: TusLogEntry[];
  /** Cut the connection after this many body bytes of the next PATCH. */
  dropNextPatchAfter(bytes: number): void;
  close(): Promise<void>;
}

export async function startTusOrigin(): Promise<TusOrigin> {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-tus-'));
  const tus = new Server({ path: '/files', datastore: new FileStore({ directory: dir }) });
  const log: TusLogEntry[] = [];
  const sockets = new Set<Socket>();
  let dropAfter: number | null = null;
  const server = http.createServer((req, res) => {
    const entry: TusLogEntry = {
      method: req.method ?? '',
      path: req.url ?? '',
      uploadOffset: req.headers['upload-offset'] === undefined ? null : Number(req.headers['upload-offset']),
      bytesReceived: 0,
    };
    log.push(entry);
    const cut = req.method === 'PATCH' ? dropAfter : null;
    if (req.method === 'PATCH') dropAfter = null;
    // Count at the parser's push (a 'data' listener would start the flow before the tus handler
    // reads, and it would lose those chunks); cut the socket once enough has arrived.
    const push = req.push.bind(req);
    req.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
      if (chunk) {
        entry.bytesReceived += (chunk as Buffer).length;
        if (cut !== null && entry.bytesReceived >= cut) setImmediate(() => req.socket.destroy());
      }
      return push(chunk, encoding);
    };
    tus.handle(req, res).catch(() => res.destroy());
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/files`,
    dir,
    log,
    dropNextPatchAfter: (n) => {
      dropAfter = n;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
