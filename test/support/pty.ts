// A linked pty pair made by socat, for serial tests on real ttys. `unplug()` kills socat, which is
// what a USB unplug looks like to both ends; `close()` also removes the links.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PtyPair {
  /** Stable link paths for the two ends (open `a` as the host, `b` as the device). */
  a: string;
  b: string;
  /** The /dev/pts names socat reported. */
  devices: string[];
  unplug(): Promise<void>;
  close(): Promise<void>;
}

export async function openPtyPair(timeoutMs = 5000): Promise<PtyPair> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-pty-'));
  const a = join(dir, 'host');
  const b = join(dir, 'device');
  let proc: ChildProcess;
  try {
    proc = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const devices: string[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let text = '';
      const timer = setTimeout(() => reject(new Error(`socat did not start within ${timeoutMs} ms: ${text}`)), timeoutMs);
      proc.once('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`cannot run socat (is it installed?): ${e.message}`));
      });
      proc.stderr!.on('data', (d: Buffer) => {
        text += d.toString();
        for (const m of text.matchAll(/PTY is (\S+)/g)) if (!devices.includes(m[1]!)) devices.push(m[1]!);
        if (/starting data transfer loop/.test(text)) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`socat exited with ${code}: ${text}`));
      });
    });
  } catch (e) {
    proc.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  proc.stderr!.resume();
  const unplug = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    await exited;
  };
  return {
    a,
    b,
    devices,
    unplug,
    close: async () => {
      await unplug();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
