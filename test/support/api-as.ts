// Calls the agent's socket as another Unix user: a child node process started with that uid/gid, so
// the agent's SO_PEERCRED sees a real different peer (the uid needs no passwd entry). Needs root.
import { execFile } from 'node:child_process';
import type { ApiAnswer } from './agent.js';

const SCRIPT = `
const [socketPath, method, path, body] = process.argv.slice(1);
const req = require('node:http').request({ socketPath, method, path, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
  let text = '';
  res.on('data', (c) => (text += c));
  res.on('end', () => process.stdout.write(JSON.stringify({ status: res.statusCode, text })));
});
req.on('error', (e) => { process.stderr.write(String(e)); process.exit(1); });
req.end(body || undefined);
`;

export function canSwitchUser(): boolean {
  return process.getuid?.() === 0;
}

export function apiAs<T = any>(uid: number, socket: string, method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
  return new Promise((resolve, reject) => {
    const args = ['-e', SCRIPT, socket, method, path, body === undefined ? '' : JSON.stringify(body)];
    execFile(process.execPath, args, { uid, gid: uid, cwd: '/' }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`as uid ${uid}: ${stderr || err.message}`));
      const { status, text } = JSON.parse(stdout) as { status: number; text: string };
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        /* text bodies stay text */
      }
      resolve({ status, body: parsed as T });
    });
  });
}
