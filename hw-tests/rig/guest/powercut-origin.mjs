// The power-cut suite's HTTP origin on the guest's loopback (a unit started before ferry on every
// boot): serves `/download.bin`, the seeded stream of powercut-data.mjs, with Content-Length, a strong
// ETag and Range, at `rate` bytes/s (0: as fast as the socket takes it), all read from the kernel
// command line. `GET /status` lists this boot's requests (start offset, bytes sent), which is how
// the suite learns where ferry resumed from. Usage: powercut-origin.mjs [PORT]
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { bytesAt, parsePowercutArg } from './powercut-data.mjs';

const port = Number(process.argv[2] ?? 8091);
// RIG_PC_CMDLINE stands in for the kernel command line when trying it out on a host.
const p = parsePowercutArg(process.env.RIG_PC_CMDLINE ?? readFileSync('/proc/cmdline', 'utf8'));
if (!p) throw new Error('no rig.pc= on the kernel command line');
const size = p.dlSize;
const etag = `"pc-${p.seed}-${size}"`;
const CHUNK = 64 * 1024;
const requests = [];

const server = createServer((req, res) => {
  if (req.url === '/status') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ size, rate: p.rate, requests }));
  }
  if (req.url !== '/download.bin') return res.writeHead(404).end();
  let start = 0;
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  const ifRange = req.headers['if-range'];
  if (m && (!ifRange || ifRange === etag)) start = Math.min(Number(m[1]), size);
  const headers = { 'content-type': 'application/octet-stream', etag, 'accept-ranges': 'bytes', 'content-length': String(size - start) };
  if (start > 0) res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${size - 1}/${size}` });
  else res.writeHead(200, headers);
  if (req.method === 'HEAD') return res.end();
  const r = { start, at: start, range: req.headers.range ?? null };
  requests.push(r);
  let timer = null;
  res.on('close', () => clearTimeout(timer));
  const step = p.rate > 0 ? Math.max(1024, Math.floor(p.rate / 10)) : CHUNK;
  const send = () => {
    while (r.at < size && !res.destroyed) {
      const n = Math.min(step, size - r.at);
      const more = res.write(bytesAt(p.seed, 'download', r.at, n));
      r.at += n;
      // Throttled: a tenth of the rate every 100 ms; unthrottled: as fast as the socket drains.
      if (p.rate > 0) return void (timer = setTimeout(send, 100));
      if (!more) return void res.once('drain', send);
    }
    if (r.at >= size) res.end();
  };
  send();
});
server.listen(port, '127.0.0.1', () => console.log(`power-cut origin on 127.0.0.1:${port}: ${size} B at ${p.rate || 'unlimited'} B/s`));
