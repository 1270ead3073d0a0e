// The N-API addon against real sockets: SO_PEERCRED on accepted Unix connections (in-process and
// from a socat child), sd_notify datagrams received by socat on a path and an abstract socket.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isFerryError } from '../../src/errors.js';
import { defaultAddonPath, getPeerCred, loadNativeAddon, sdNotify, type NativeAddon, type PeerCred } from '../../src/system/native.js';
import { startNotifyReceiver, type NotifyReceiver } from '../support/notify-receiver.js';
import { waitFor } from '../support/wait.js';
import { prerequisite } from '../support/prerequisites.js';

const addonPresent = prerequisite('addon tests', existsSync(defaultAddonPath()) ? null : `${defaultAddonPath()} missing; run "npm run build:native"`) === null;

describe('native addon loading', () => {
  it('throws INTERNAL naming the build command when the addon file is missing', () => {
    let err: unknown;
    try {
      loadNativeAddon('/nonexistent/ferry_native.node');
    } catch (e) {
      err = e;
    }
    expect(isFerryError(err) && err.code).toBe('INTERNAL');
    expect((err as Error).message).toContain('npm run build:native');
  });

  it('does not load the addon at all when there is no notify socket', () => {
    const explode = (): NativeAddon => {
      throw new Error('addon must not be loaded');
    };
    expect(sdNotify('READY=1', undefined, explode)).toBe(false);
    expect(sdNotify('READY=1', '', explode)).toBe(false);
  });
});

describe.skipIf(!addonPresent)('peer credentials (SO_PEERCRED)', () => {
  let dir: string;
  let server: Server;
  let socketPath: string;
  const accepted: Socket[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-peercred-'));
    socketPath = join(dir, 'api.sock');
    server = createServer((s) => {
      accepted.push(s);
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  });
  afterEach(() => {
    for (const s of accepted.splice(0)) s.destroy();
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports this process as the peer of an in-process client', async () => {
    const client = connect(socketPath);
    try {
      const conn = await waitFor(() => accepted[0], 5000, 'accepted connection');
      const cred: PeerCred = getPeerCred(conn);
      expect(cred).toEqual({ pid: process.pid, uid: process.getuid?.(), gid: process.getgid?.() });
    } finally {
      client.destroy();
    }
  });

  it('reports the pid of another process that connects', async () => {
    const child = spawn('socat', ['-u', 'STDIN', `UNIX-CONNECT:${socketPath}`], { stdio: ['pipe', 'ignore', 'ignore'] });
    try {
      const conn = await waitFor(() => accepted[0], 5000, 'connection from socat');
      const cred = getPeerCred(conn);
      expect(cred.pid).toBe(child.pid);
      expect(cred.pid).not.toBe(process.pid);
      expect(cred.uid).toBe(process.getuid?.());
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('refuses a socket without a descriptor with INTERNAL', async () => {
    const client = connect(socketPath);
    const conn = await waitFor(() => accepted[0], 5000, 'accepted connection');
    conn.destroy();
    client.destroy();
    let err: unknown;
    try {
      getPeerCred(conn);
    } catch (e) {
      err = e;
    }
    expect(isFerryError(err) && err.code).toBe('INTERNAL');
  });

  it('wraps the kernel error for a descriptor that is not a socket', () => {
    const fd = openSync(join(dir, 'plain-file'), 'w');
    let err: unknown;
    try {
      loadNativeAddon().peerCred(fd);
    } catch (e) {
      err = e;
    } finally {
      closeSync(fd);
    }
    expect(err).toMatchObject({ code: 'ENOTSOCK', syscall: 'getsockopt(SO_PEERCRED)' });
  });
});

describe.skipIf(!addonPresent)('sd_notify datagrams', () => {
  const receivers: NotifyReceiver[] = [];
  afterEach(async () => {
    for (const r of receivers.splice(0)) await r.close();
  });

  it('delivers the state to a notify socket given by path', async () => {
    const rx = await startNotifyReceiver();
    receivers.push(rx);
    expect(sdNotify('READY=1\nSTATUS=idle', rx.address)).toBe(true);
    await waitFor(() => rx.text().includes('READY=1\nSTATUS=idle'), 5000, 'datagram at socat');
  });

  it('delivers to an abstract-namespace socket written with a leading @', async () => {
    const rx = await startNotifyReceiver({ abstract: true });
    receivers.push(rx);
    expect(rx.address.startsWith('@')).toBe(true);
    expect(sdNotify('WATCHDOG=1', rx.address)).toBe(true);
    await waitFor(() => rx.text() === 'WATCHDOG=1', 5000, 'datagram at socat');
  });

  it('reads $NOTIFY_SOCKET itself when no path is passed to the addon', async () => {
    const rx = await startNotifyReceiver({ abstract: true });
    receivers.push(rx);
    const saved = process.env.NOTIFY_SOCKET;
    process.env.NOTIFY_SOCKET = rx.address;
    try {
      expect(loadNativeAddon().sdNotify('STOPPING=1')).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.NOTIFY_SOCKET;
      else process.env.NOTIFY_SOCKET = saved;
    }
    await waitFor(() => rx.text() === 'STOPPING=1', 5000, 'datagram at socat');
  });

  it('returns false from the addon when the socket address is empty or not a unix address', () => {
    const addon = loadNativeAddon();
    expect(addon.sdNotify('READY=1', '')).toBe(false);
    expect(addon.sdNotify('READY=1', 'vsock:2:1234')).toBe(false);
  });

  it('throws INTERNAL with the errno as cause when nobody listens at the path', () => {
    const missing = join(tmpdir(), `ferry-no-such-notify-${process.pid}.sock`);
    let err: unknown;
    try {
      sdNotify('READY=1', missing);
    } catch (e) {
      err = e;
    }
    expect(isFerryError(err) && err.code).toBe('INTERNAL');
    expect(((err as Error).cause as { code?: string }).code).toBe('ENOENT');
  });
});

describe('sendFile', () => {
  it('refuses bad arguments and a closed descriptor at the call, and reports the errno of a send that fails', async () => {
    const addon = loadNativeAddon();
    expect(() => addon.sendFile(-1, 0, 0, 1)).toThrow(/sendFile/);
    expect(() => addon.sendFile(0, 0, -5, 1)).toThrow(/sendFile/);
    const dir = mkdtempSync(join(tmpdir(), 'ferry-sendfile-'));
    const file = join(dir, 'f');
    closeSync(openSync(file, 'w'));
    const fd = openSync(file, 'r');
    closeSync(fd);
    // A closed number is never dup()ed into some other descriptor's place: the call throws at once.
    expect(() => addon.sendFile(fd, fd, 0, 1)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    // Into a descriptor not open for writing: rejected with the errno, as Node's own errors look.
    const a = openSync(file, 'r');
    const b = openSync(file, 'r');
    await expect(addon.sendFile(a, b, 0, 1)).rejects.toMatchObject({ code: 'EBADF', syscall: 'sendfile' });
    for (const x of [a, b]) closeSync(x);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('waitWritable', () => {
  it('says true at once for a socket with room, false after its timeout for a full one, and refuses a closed descriptor', async () => {
    const addon = loadNativeAddon();
    expect(() => addon.waitWritable(-1, 10)).toThrow(/waitWritable/);
    const peers: Socket[] = [];
    const server = createServer((s) => {
      s.pause(); // never reads: the client's buffers fill
      peers.push(s);
    });
    server.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const client = connect((server.address() as { port: number }).port, '127.0.0.1');
    await new Promise((r) => client.once('connect', r));
    const fd = (client as unknown as { _handle: { fd: number } })._handle.fd;
    const t0 = performance.now();
    expect(await addon.waitWritable(fd, 5000)).toBe(true);
    expect(performance.now() - t0).toBeLessThan(1000);
    const chunk = Buffer.alloc(1024 * 1024);
    while (client.write(chunk)); // Node queues the rest once the kernel's buffers are full
    await new Promise((r) => setTimeout(r, 100));
    expect(await addon.waitWritable(fd, 150)).toBe(false);
    client.destroy();
    for (const p of peers) p.destroy();
    server.close();
    const closed = openSync(join(tmpdir(), `ferry-ww-${process.pid}`), 'w');
    closeSync(closed);
    rmSync(join(tmpdir(), `ferry-ww-${process.pid}`));
    expect(() => addon.waitWritable(closed, 10)).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });
});
