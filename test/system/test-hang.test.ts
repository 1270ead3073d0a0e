// The hang preload (test/support/hang-on-signal.mjs, injected with NODE_OPTIONS=--import like the
// rig's drop-in does) really stops a daemon's main loop — watchdog pings to a real notify socket stop,
// IPC goes unanswered — and SIGABRT (systemd's watchdog signal) still ends the hung process. Without
// the preload nothing in ferry reacts to SIGUSR2: the hook does not ship in the daemon.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultAddonPath } from '../../src/system/native.js';
import { startNotifyReceiver, type NotifyReceiver } from '../support/notify-receiver.js';
import { waitFor } from '../support/wait.js';
import { prerequisite } from '../support/prerequisites.js';

const CHILD = fileURLToPath(new URL('./fixtures/watchdog-child.ts', import.meta.url));
const HANG_PRELOAD = fileURLToPath(new URL('../support/hang-on-signal.mjs', import.meta.url));
const addonPresent = prerequisite('watchdog hang test', existsSync(defaultAddonPath()) ? null : `${defaultAddonPath()} missing; run "npm run build:native"`) === null;

describe.skipIf(!addonPresent)('watchdog child with the hang preload', () => {
  let child: ChildProcess | undefined;
  let rx: NotifyReceiver | undefined;
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child?.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    }
    await rx?.close();
    child = undefined;
    rx = undefined;
  });

  function startChild(env: Record<string, string>): { stderr: () => string; pongs: () => number } {
    // ulimit -c 0: the SIGABRT below must not leave a core file behind.
    child = spawn('sh', ['-c', 'ulimit -c 0; exec "$0" --import tsx "$1"', process.execPath, CHILD], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    let pongs = 0;
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('message', (m) => {
      if (m === 'pong') pongs++;
    });
    return { stderr: () => stderr, pongs: () => pongs };
  }

  const count = (text: string, what: string) => text.split(what).length - 1;

  it('stops watchdog pings and IPC after SIGUSR2, and dies from SIGABRT like under systemd', async () => {
    rx = await startNotifyReceiver({ abstract: true });
    // 400 ms watchdog: pings every 200 ms.
    const io = startChild({ NOTIFY_SOCKET: rx.address, WATCHDOG_USEC: '400000', NODE_OPTIONS: `--import=${HANG_PRELOAD}` });
    await waitFor(() => rx?.text().startsWith('READY=1') && count(rx.text(), 'WATCHDOG=1') >= 2, 20_000, 'READY and two pings');
    child?.send('ping');
    await waitFor(() => io.pongs() === 1, 5000, 'pong before the hang');

    child?.kill('SIGUSR2');
    await waitFor(() => io.stderr().includes('blocking the main loop'), 5000, 'hang announcement');
    child?.send('ping');
    // Absence can only be observed over time: give the child 5 ping intervals to settle (a
    // datagram sent just before the hang may still be in socat's pipe), then 5 more to prove
    // nothing else arrives.
    await new Promise((r) => setTimeout(r, 1000));
    const settled = count(rx.text(), 'WATCHDOG=1');
    await new Promise((r) => setTimeout(r, 1000));
    expect(count(rx.text(), 'WATCHDOG=1')).toBe(settled);
    expect(io.pongs()).toBe(1);
    expect(child?.exitCode).toBeNull();

    const exited = new Promise<NodeJS.Signals | null>((r) => child?.once('exit', (_code, sig) => r(sig)));
    child?.kill('SIGABRT');
    expect(await exited).toBe('SIGABRT');
  });

  it('leaves SIGUSR2 fatal without the preload', async () => {
    rx = await startNotifyReceiver({ abstract: true });
    startChild({ NOTIFY_SOCKET: rx.address });
    await waitFor(() => rx?.text().startsWith('READY=1'), 20_000, 'READY');
    expect(rx.text()).not.toContain('WATCHDOG=1');
    const exited = new Promise<NodeJS.Signals | null>((r) => child?.once('exit', (_code, sig) => r(sig)));
    child?.kill('SIGUSR2');
    expect(await exited).toBe('SIGUSR2');
  });
});
