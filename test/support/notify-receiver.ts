// A real sd_notify endpoint for tests: socat listening on an AF_UNIX datagram socket (Node cannot
// bind one), by path or in the abstract namespace. Datagrams arrive concatenated in `text()`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './wait.js';

export interface NotifyReceiver {
  /** The NOTIFY_SOCKET value: a path, or '@name' for an abstract socket. */
  readonly address: string;
  /** Everything received so far (socat writes datagram payloads back to back). */
  text(): string;
  close(): Promise<void>;
}

function boundInProcNetUnix(name: string): boolean {
  // /proc/net/unix lists bound sockets by path, abstract ones with a leading '@'.
  return readFileSync('/proc/net/unix', 'utf8').split('\n').some((line) => line.endsWith(` ${name}`));
}

export async function startNotifyReceiver(opts: { abstract?: boolean } = {}): Promise<NotifyReceiver> {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-notify-'));
  const name = opts.abstract ? `@ferry-test-notify-${process.pid}-${Date.now()}` : join(dir, 'notify.sock');
  const spec = opts.abstract ? `ABSTRACT-RECV:${name.slice(1)}` : `UNIX-RECV:${name}`;
  const child: ChildProcess = spawn('socat', ['-u', spec, 'STDOUT'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let received = '';
  let errors = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (received += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (errors += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitFor(() => child.exitCode === null && boundInProcNetUnix(name), 5000, `socat bound to ${name} ${errors}`);
  } catch (e) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    address: name,
    text: () => received,
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
