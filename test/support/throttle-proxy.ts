// A TCP proxy on loopback that plays a slow link: each direction is one shared "wire" of a given byte
// rate for all connections, so a loopback upload or download lasts long enough to be interrupted.
// The rate can change while connections are open (null = unlimited); close() cuts every connection.
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';
import { once } from 'node:events';

export interface ThrottleProxy {
  readonly port: number;
  /** `http://127.0.0.1:PORT` + path: the target's URL as seen through the proxy. */
  url(path: string): string;
  /** Bytes per second in each direction; null lifts the limit. Applies to open connections too. */
  setRate(bytesPerSec: number | null): void;
  /** Body-agnostic byte counts forwarded client→target (up) and target→client (down). */
  readonly bytes: { up: number; down: number };
  close(): Promise<void>;
}

/** One direction of the link: hands out send times so the sum of all slices keeps to the rate. */
class Wire {
  private nextFreeMs = 0;
  constructor(public rate: number | null) {}

  /** Milliseconds to wait before `n` bytes may go out. */
  reserve(n: number): number {
    if (this.rate === null) return 0;
    const now = performance.now();
    const start = Math.max(now, this.nextFreeMs);
    this.nextFreeMs = start + (n * 1000) / this.rate;
    return start - now;
  }

  sliceBytes(): number {
    // ~20 ms of the rate per slice keeps the flow smooth without a timer per byte.
    return this.rate === null ? 256 * 1024 : Math.max(1024, Math.min(64 * 1024, Math.floor(this.rate / 50)));
  }
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves on 'drain' or 'close', whichever comes first, leaving no listener behind. */
function drained(s: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      s.off('drain', done);
      s.off('close', done);
      resolve();
    };
    s.on('drain', done);
    s.on('close', done);
  });
}

async function pump(src: Socket, dst: Socket, wire: Wire, count: (n: number) => void): Promise<void> {
  try {
    for await (const chunk of src as AsyncIterable<Buffer>) {
      for (let off = 0; off < chunk.length; ) {
        const n = Math.min(wire.sliceBytes(), chunk.length - off);
        const wait = wire.reserve(n);
        if (wait > 1) await delay(wait);
        if (dst.destroyed) return;
        const ok = dst.write(chunk.subarray(off, off + n));
        count(n);
        off += n;
        if (!ok) await drained(dst);
      }
    }
    dst.end();
  } catch {
    // The peer went away mid-stream (an aborted request): pass the abort on, as a real link would.
    dst.destroy();
  }
}

export async function startThrottleProxy(target: { host?: string; port: number }, bytesPerSec: number | null): Promise<ThrottleProxy> {
  const up = new Wire(bytesPerSec);
  const down = new Wire(bytesPerSec);
  const bytes = { up: 0, down: 0 };
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined); // resets are expected: the pumps see them and tear down the pair
  };
  const server = createServer((client) => {
    const upstream = createConnection({ host: target.host ?? '127.0.0.1', port: target.port });
    track(client);
    track(upstream);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    void pump(client, upstream, up, (n) => (bytes.up += n));
    void pump(upstream, client, down, (n) => (bytes.down += n));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    setRate(rate) {
      up.rate = rate;
      down.rate = rate;
    },
    bytes,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
