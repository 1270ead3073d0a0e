// Wake-up batching on real sockets, through the real addon's SO_RCVLOWAT, against an origin that sends
// in a link's segment size (support/paced-origin.py, plain and TLS) and paces a body so that batching
// engages. The client's fallback is set to a minute: a wake-up the kernel never gives (a low-water mark
// above what is still to come) hangs the test instead of being rescued.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Http1Client } from '../../src/transfer/http1/http1-client.js';
import { MIN_BATCH } from '../../src/transfer/http1/wake-batching.js';
import { setRcvLowat } from '../../src/system/native.js';
import { makeTestCerts, type TestCerts } from '../support/tls-certs.js';

const KiB = 1024;
const SCRIPT = fileURLToPath(new URL('../support/paced-origin.py', import.meta.url));
const children: ChildProcess[] = [];
let certs: TestCerts;
let dir: string;
beforeAll(() => {
  certs = makeTestCerts();
  dir = mkdtempSync(join(tmpdir(), 'ferry-paced-'));
  writeFileSync(join(dir, 'cert.pem'), certs.cert);
  writeFileSync(join(dir, 'key.pem'), certs.key);
});
afterAll(() => {
  certs.cleanup();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  for (const c of children.splice(0)) c.kill();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The body paced-origin.py sends: byte i is i % 251. */
const pattern = (n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => i % 251));

async function pacedOrigin(secure: boolean): Promise<string> {
  const child = spawn('python3', [SCRIPT, ...(secure ? [join(dir, 'cert.pem'), join(dir, 'key.pem')] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  return `${secure ? 'https' : 'http'}://127.0.0.1:${Number(line.toString())}`;
}

function client(lateMs: number) {
  const calls: number[] = [];
  const c = new Http1Client({
    connectTimeoutMs: 5000,
    ca: [readFileSync(certs.caFile, 'utf8')],
    batchLateMs: lateMs,
    setRcvLowat: (socket, bytes) => {
      calls.push(bytes);
      setRcvLowat(socket, bytes);
    },
  });
  return { c, calls };
}

const get = (c: Http1Client, url: string) => c.request(new URL(url), { method: 'GET', headers: {}, signal: new AbortController().signal });

describe('wake-up batching on a real socket (SO_RCVLOWAT)', () => {
  for (const secure of [false, true]) {
    it(`${secure ? 'TLS' : 'plain TCP'}: a paced body arrives whole in batches, its end wakes us, and the next head on the kept connection too`, async () => {
      const body = pattern(3 * 1024 * KiB);
      const url = await pacedOrigin(secure);
      const { c, calls } = client(60_000);
      const lent = Buffer.alloc(256 * KiB);
      for (let round = 0; round < 2; round++) {
        const res = await get(c, `${url}/paced?size=${body.length}`);
        const parts: Buffer[] = [];
        res.body.readInto(() => lent);
        res.body.onData((chunk) => parts.push(Buffer.from(chunk)));
        await res.body.ended();
        expect(Buffer.concat(parts).equals(body)).toBe(true);
        expect(Math.max(...calls)).toBeGreaterThanOrEqual(MIN_BATCH); // it did batch
        expect(calls.at(-1)).toBe(1); // and left the connection waking on every byte
        const small = await get(c, `${url}/small`);
        const got: Buffer[] = [];
        small.body.onData((chunk) => got.push(Buffer.from(chunk)));
        await small.body.ended();
        expect(Buffer.concat(got).toString()).toBe('ok');
      }
      c.close();
    }, 30_000);
  }

  it('bytes left waiting under the mark when the origin stalls are delivered after the fallback delay', async () => {
    const expected = 3 * 1024 * KiB + 20 * KiB;
    const url = await pacedOrigin(false);
    const { c, calls } = client(300);
    const res = await get(c, `${url}/paced?size=${4 * 1024 * KiB}&stall=${3 * 1024 * KiB}`);
    let got = 0;
    res.body.onData((chunk) => (got += chunk.length));
    const deadline = Date.now() + 10_000;
    while (got < expected && Date.now() < deadline) await sleep(20);
    expect(Math.max(...calls)).toBeGreaterThan(20 * KiB); // the late 20 KiB sat under the mark
    expect(got).toBe(expected);
    expect(calls.at(-1)).toBe(1);
    res.body.destroy();
    c.close();
  }, 20_000);
});
