// A bare tus 1.0 server for the benchmark (argv[2]: the store folder); prints its port.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from '@tus/server';
import { FileStore } from '@tus/file-store';

const tus = new Server({ path: '/files', datastore: new FileStore({ directory: process.argv[2]! }) });
const server = http.createServer((req, res) => {
  tus.handle(req, res).catch(() => res.destroy());
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
process.on('SIGTERM', () => process.exit(0));
