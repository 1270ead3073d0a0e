// The `lines` protocol through the real ferryd: NMEA sentences written into a real pty are captured
// into spool files, rotated by size (and on demand), uploaded to an HTTP sink, then removed locally.
import { closeSync, existsSync, openSync, readdirSync, writeSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess } from '../support/agent.js';
import { openPtyPair, type PtyPair } from '../support/pty.js';
import { makeTempDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';

const nmea = (i: number) => `$GPGGA,1235${String(i).padStart(2, '0')},4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47`;

describe('lines capture over a serial pty', () => {
  const dir = makeTempDir('ferry-lines-');
  let pty: PtyPair;
  let deviceFd: number;
  let agent: AgentProcess;
  let sink: Server;
  const received = new Map<string, string>();

  beforeAll(async () => {
    pty = await openPtyPair();
    deviceFd = openSync(pty.b, 'r+');
    sink = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.set(req.url ?? '', Buffer.concat(chunks).toString('utf8'));
        res.writeHead(201).end();
      });
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
    agent = new AgentProcess({
      devices: [
        {
          id: 'gps',
          protocol: 'lines',
          transport: { kind: 'serial', path: pty.a, baud: 9600, presencePollMs: 200 },
          lines: { rotateBytes: 400, upload: { url: `${base}/gps/{name}` } },
        },
      ],
    });
    await agent.start();
  }, 30_000);

  afterAll(async () => {
    if (process.env.FERRY_TEST_LOGS) console.log(agent?.logs);
    await agent?.stop();
    closeSync(deviceFd);
    await pty?.close();
    await new Promise((r) => sink?.close(r));
    dir.cleanup();
  });

  const spool = () => join(agent.root, 'devices/gps/spool');

  it('captures lines into a spool file that rotates by size and is uploaded, then removed', async () => {
    await waitFor(async () => (await agent.api('GET', '/v1/devices')).body.devices[0].activity === 'capturing', 10_000, 'capture started');
    for (let i = 0; i < 7; i++) writeSync(deviceFd, `${nmea(i)}\r\n`);
    await waitFor(() => received.size === 1, 15_000, 'first spool file uploaded');
    const [url, body] = [...received][0]!;
    expect(url).toMatch(/^\/gps\/gps-\d{8}T\d{6}Z-\d{4}\.log$/);
    // CR stripped, one sentence per line, in order; 7 × 66 bytes: the file rotated once it passed 400.
    expect(body).toBe([0, 1, 2, 3, 4, 5, 6].map((i) => `${nmea(i)}\n`).join(''));
    const name = url.split('/').pop()!;
    await waitFor(() => !existsSync(join(spool(), name)), 5000, 'uploaded spool file removed');
  });

  it('closes the current spool file on demand and reports capture counters', async () => {
    writeSync(deviceFd, `${nmea(10)}\r\n${nmea(11)}\r\n`);
    await waitFor(async () => (await agent.api('GET', '/v1/devices')).body.devices[0].capture.lines === 9, 5000, 'lines counted');
    const r = await agent.api('POST', '/v1/devices/gps/sync', {});
    expect(r.status).toBe(202);
    expect(r.body.rotated).toMatch(/^devices\/gps\/spool\/gps-.*\.log$/);
    await waitFor(() => received.size === 2, 15_000, 'second spool file uploaded');
    expect([...received.values()][1]).toBe(`${nmea(10)}\n${nmea(11)}\n`);
    const dev = (await agent.api('GET', '/v1/devices')).body.devices[0];
    expect(dev).toMatchObject({ id: 'gps', protocol: 'lines', state: 'present', activity: 'capturing' });
    expect(dev.capture).toMatchObject({ capturing: true, lines: 9, filesRotated: 2, droppedLines: 0 });
    // Removed once ferry has the origin's answer, which can come a moment after the origin has the body.
    await waitFor(() => readdirSync(spool()).filter((n) => !n.endsWith('.open')).length === 0, 5000, 'uploaded spool file removed');
  });

  it('closes and uploads the open spool file when the device is unplugged', async () => {
    writeSync(deviceFd, `${nmea(20)}\r\n`);
    await waitFor(async () => (await agent.api('GET', '/v1/devices')).body.devices[0].capture.lines === 10, 5000, 'line counted');
    await pty.unplug();
    await waitFor(() => received.size === 3, 15_000, 'last spool file uploaded');
    expect([...received.values()][2]).toBe(`${nmea(20)}\n`);
    const dev = (await agent.api('GET', '/v1/devices')).body.devices[0];
    expect(dev).toMatchObject({ state: 'absent', activity: 'idle', capture: { capturing: false, filesRotated: 3 } });
  });
});
