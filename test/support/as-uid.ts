// Talks to the agent's socket as another uid (setpriv, no passwd entry needed), so tests see what a
// non-root client sees: the kernel reports that uid through SO_PEERCRED. The socket must be reachable
// (mode 0666 in the agent's config, its folder searchable).
import { spawn, type ChildProcess } from 'node:child_process';
import type { ApiAnswer } from './agent.js';

const REQUEST = `
const http = require('node:http');
const [socket, method, path, body, stream] = process.argv.slice(1);
const req = http.request({ socketPath: socket, method, path, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
  if (stream === '1') process.stdout.write('status ' + res.statusCode + '\\n');
  let text = '';
  res.on('data', (c) => { if (stream === '1') process.stdout.write(c); else text += c; });
  res.on('end', () => { if (stream !== '1') process.stdout.write(JSON.stringify({ status: res.statusCode, text })); process.exit(0); });
});
req.on('error', (e) => { process.stderr.write(String(e)); process.exit(3); });
req.end(body || undefined);
`;

function spawnAs(uid: number, args: string[]): ChildProcess {
  return spawn('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', process.execPath, '-e', REQUEST, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function apiAs<T = any>(uid: number, socket: string, method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
  return new Promise((resolve, reject) => {
    const child = spawnAs(uid, [socket, method, path, body === undefined ? '' : JSON.stringify(body), '0']);
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`request as uid ${uid} failed (${code}): ${err}`));
      const { status, text } = JSON.parse(out) as { status: number; text: string };
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        /* text bodies (metrics) stay text */
      }
      resolve({ status, body: parsed as T });
    });
  });
}

/** An open GET /v1/events as `uid`: what arrived so far, and whether the agent closed it. */
export interface StreamAs {
  readonly text: string;
  readonly closed: boolean;
  close(): void;
}

export function streamAs(uid: number, socket: string): StreamAs {
  const child = spawnAs(uid, [socket, 'GET', '/v1/events', '', '1']);
  let text = '';
  let closed = false;
  child.stdout!.on('data', (c: Buffer) => (text += c.toString()));
  child.on('exit', () => (closed = true));
  return {
    get text() {
      return text;
    },
    get closed() {
      return closed;
    },
    close: () => child.kill(),
  };
}
