// A slow HTTP origin on the rig's own loopback: serves one file of `size` bytes at about
// `bytesPerS`, with Content-Length, ETag and Range, so a transfer can be caught mid-flight and resumed.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ThrottledOrigin {
  url: string;
  close(): Promise<void>;
}

export async function startThrottledOrigin(size: number, bytesPerS: number): Promise<ThrottledOrigin> {
  const body = Buffer.alloc(size, 0x5a);
  const etag = `"rig-${size}"`;
  const chunk = Math.max(1024, Math.floor(bytesPerS / 10));
  const server: Server = createServer((req, res) => {
    let start = 0;
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const ifRange = req.headers['if-range'];
    if (m && (!ifRange || ifRange === etag)) start = Math.min(Number(m[1]), size);
    const headers = { 'content-type': 'application/octet-stream', etag, 'accept-ranges': 'bytes', 'content-length': String(size - start) };
    if (start > 0) res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${size - 1}/${size}` });
    else res.writeHead(200, headers);
    if (req.method === 'HEAD') return res.end();
    let at = start;
    const timer = setInterval(() => {
      if (at >= size) {
        clearInterval(timer);
        res.end();
        return;
      }
      res.write(body.subarray(at, Math.min(size, at + chunk)));
      at += chunk;
    }, 100);
    res.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/rig.bin`,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
