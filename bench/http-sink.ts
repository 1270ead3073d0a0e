// Bench upload sink in its own process: accepts PUT/POST bodies, counts and discards them, answers 201.
// Prints its port on stdout once listening.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const server = http.createServer((req, res) => {
  let n = 0;
  req.on('data', (c: Buffer) => {
    n += c.length;
  });
  req.on('end', () => {
    res.writeHead(201, { 'content-type': 'text/plain' });
    res.end(`${n}\n`);
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
