// The engine's HTTP/1.1 client against real sockets on loopback: raw TCP origins that answer
// exactly the bytes a test wants (hostile ones included). What matters here: the body is whole however
// it arrives, a paused consumer stops the reads (the kernel holds the rest, not our memory), and every
// failure is a FerryError or a system error the engine already classifies.
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Http1Client, http1Request, type Http1Response, type RequestBody } from '../../src/transfer/http1/http1-client.js';
import { failureFromError } from '../../src/transfer/classify-failure.js';
import { sendFileToSocket, waitSocketWritable } from '../../src/system/native.js';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const servers: net.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.close();
    s.unref();
  }
});

async function origin(onConn: (s: net.Socket, request: Promise<string>) => void): Promise<string> {
  const server = net.createServer((s) => {
    s.on('error', () => undefined);
    let got = '';
    const request = new Promise<string>((resolve) => {
      s.on('data', (d) => {
        got += d.toString('latin1');
        if (got.includes('\r\n\r\n')) resolve(got);
      });
    });
    onConn(s, request);
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const get = (url: string, over: { signal?: AbortSignal; headers?: Record<string, string>; connectTimeoutMs?: number } = {}): Promise<Http1Response> =>
  http1Request(new URL(url), { method: 'GET', headers: over.headers ?? {}, signal: over.signal ?? new AbortController().signal }, { connectTimeoutMs: over.connectTimeoutMs ?? 5000 });

async function readAll(res: Http1Response): Promise<Buffer> {
  const parts: Buffer[] = [];
  res.body.onData((c) => parts.push(Buffer.from(c)));
  await res.body.ended();
  return Buffer.concat(parts);
}

describe('HTTP/1.1 download client', () => {
  it('sends one close-delimited request and gets a body that came in the same packet as the head, read late', async () => {
    const body = randomBytes(100_000);
    let request = '';
    const url = await origin(async (s, req) => {
      request = await req;
      s.end(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nETag: "x"\r\n\r\n`), body]));
    });
    const res = await get(`${url}/a/b.bin?q=1`, { headers: { 'user-agent': 'ferry-test', Host: 'evil.example', Connection: 'keep-alive' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['etag']).toBe('"x"');
    await new Promise((r) => setTimeout(r, 50)); // the consumer attaches after the bytes arrived
    expect((await readAll(res)).equals(body)).toBe(true);
    const lines = request.split('\r\n');
    expect(lines[0]).toBe('GET /a/b.bin?q=1 HTTP/1.1');
    // Framing and the host are ours; a client's copies are not sent.
    expect(lines.filter((l) => /^host:/i.test(l))).toEqual([`host: ${new URL(url).host}`]);
    expect(lines.filter((l) => /^connection:/i.test(l))).toEqual(['connection: close']);
    expect(lines).toContain('user-agent: ferry-test');
  });

  it('stops reading while the consumer is paused: the kernel holds the rest, not our memory', async () => {
    const total = 64 * 1024 * 1024;
    let accepted = 0;
    const block = randomBytes(256 * 1024);
    const url = await origin(async (s, req) => {
      await req;
      s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${total}\r\n\r\n`);
      const pump = (): void => {
        while (accepted < total) {
          accepted += block.length;
          if (!s.write(block)) return void s.once('drain', pump);
        }
        s.end();
      };
      pump();
    });
    const res = await get(`${url}/big`);
    let received = 0;
    res.body.onData((c) => {
      received += c.length;
      if (!res.body.isPaused()) res.body.pause();
    });
    await new Promise((r) => setTimeout(r, 600));
    const acceptedWhilePaused = accepted;
    console.log(`http1 client: paused after ${received} bytes; the origin got ${(acceptedWhilePaused / 1048576).toFixed(1)} MiB into the kernel meanwhile`);
    expect(received).toBeLessThanOrEqual(64 * 1024);
    expect(acceptedWhilePaused).toBeLessThan(total / 2);
    res.body.onData((c) => (received += c.length));
    res.body.resume();
    await res.body.ended();
    expect(received).toBe(total);
  }, 30_000);

  it('reads a chunked body and a body that runs to the close', async () => {
    const url = await origin(async (s, req) => {
      const r = await req;
      if (r.startsWith('GET /chunked')) s.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1;x=y\r\n \r\n5\r\nworld\r\n0\r\nx-t: 1\r\n\r\n');
      else s.end('HTTP/1.1 200 OK\r\n\r\nuntil the end');
    });
    expect((await readAll(await get(`${url}/chunked`))).toString()).toBe('hello world');
    expect((await readAll(await get(`${url}/close`))).toString()).toBe('until the end');
  });

  it('fails a body the origin cuts short, a hostile head, and an origin that never answers, each with a stable code', async () => {
    const url = await origin(async (s, req) => {
      const r = await req;
      if (r.startsWith('GET /short')) s.end('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly this');
      else if (r.startsWith('GET /endless')) {
        s.write('HTTP/1.1 200 OK\r\nX-Endless: ');
        const t = setInterval(() => s.writable && s.write('a'.repeat(16 * 1024)), 5);
        s.on('close', () => clearInterval(t));
      } else if (r.startsWith('GET /smuggle')) s.end('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
      else s.destroy();
    });
    const short = await get(`${url}/short`);
    const err = await readAll(short).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'LENGTH_MISMATCH' });
    expect(failureFromError(err).outcome).toBe('retry');
    await expect(get(`${url}/endless`)).rejects.toMatchObject({ code: 'PROTOCOL_ERROR', message: expect.stringMatching(/head larger than/) });
    await expect(get(`${url}/smuggle`)).rejects.toMatchObject({ code: 'PROTOCOL_ERROR' });
    const gone = await get(`${url}/gone`).catch((e: unknown) => e);
    expect(failureFromError(gone)).toMatchObject({ outcome: 'retry', error: { code: 'NETWORK_ERROR' } });
  });

  it('refuses to send a header that would split the request, before connecting', async () => {
    let connections = 0;
    const url = await origin(() => connections++);
    await expect(get(`${url}/x`, { headers: { 'x-a': 'b\r\nX-Injected: 1' } })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(connections).toBe(0);
  });

  it('times out a TLS handshake that never completes, and an abort ends a body mid-way', async () => {
    const silent = await origin(() => undefined);
    const tlsUrl = silent.replace('http:', 'https:');
    const t0 = Date.now();
    const e = await get(tlsUrl, { connectTimeoutMs: 300 }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'TIMEOUT' });
    expect(failureFromError(e).outcome).toBe('retry');
    expect(Date.now() - t0).toBeLessThan(3000);

    let closed = false;
    const url = await origin(async (s, req) => {
      await req;
      s.on('close', () => (closed = true));
      s.write('HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\nfirst bytes');
    });
    const ac = new AbortController();
    const res = await get(`${url}/slow`, { signal: ac.signal });
    res.body.onData(() => ac.abort(new Error('stopped by the test')));
    await expect(res.body.ended()).rejects.toThrow('stopped by the test');
    await new Promise((r) => setTimeout(r, 100));
    expect(closed).toBe(true);
  });

  describe('kept connections', () => {
    /** An origin that answers every request on a connection with `answer(n)` (n counts requests per connection). */
    async function keptOrigin(answer: (req: string, nOnConn: number) => string | null): Promise<{ url: string; conns: () => number }> {
      let conns = 0;
      const server = net.createServer((s) => {
        conns++;
        s.on('error', () => undefined);
        let buf = '';
        let n = 0;
        s.on('data', (d) => {
          buf += d.toString('latin1');
          for (let i = buf.indexOf('\r\n\r\n'); i >= 0; i = buf.indexOf('\r\n\r\n')) {
            const req = buf.slice(0, i);
            buf = buf.slice(i + 4);
            const a = answer(req, ++n);
            if (a === null) s.destroy();
            else s.write(a);
          }
        });
      });
      servers.push(server);
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, conns: () => conns };
    }
    const ok = (body: string, extra = '') => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;
    const signal = () => new AbortController().signal;

    it('one connection for a queue of GETs to the same origin; none kept after connection: close or a body read to the close', async () => {
      const o = await keptOrigin((req) => (req.includes('/last') ? ok('bye', 'Connection: close\r\n') : req.includes('/eof') ? null : ok(req.split(' ')[1]!)));
      const c = new Http1Client({ connectTimeoutMs: 5000 });
      for (let i = 0; i < 5; i++) {
        const r = await c.request(new URL(`${o.url}/f${i}`), { method: 'GET', headers: {}, signal: signal() });
        expect((await readAll(r)).toString()).toBe(`/f${i}`);
      }
      expect(o.conns()).toBe(1);
      expect(c.idleConnections).toBe(1);
      await readAll(await c.request(new URL(`${o.url}/last`), { method: 'GET', headers: {}, signal: signal() }));
      expect(c.idleConnections).toBe(0);
      await readAll(await c.request(new URL(`${o.url}/again`), { method: 'GET', headers: {}, signal: signal() }));
      expect(o.conns()).toBe(2);
      c.close();
      expect(c.idleConnections).toBe(0);
    });

    it('a kept connection the server dropped is replaced before any byte of an answer; a POST never rides one', async () => {
      let posts = '';
      const o = await keptOrigin((req, n) => {
        if (req.startsWith('POST')) posts = req;
        return n === 2 ? null : ok('x'); // the second request on a connection meets a close
      });
      const c = new Http1Client({ connectTimeoutMs: 5000 });
      await readAll(await c.request(new URL(`${o.url}/a`), { method: 'GET', headers: {}, signal: signal() }));
      const again = await c.request(new URL(`${o.url}/b`), { method: 'GET', headers: {}, signal: signal() });
      expect((await readAll(again)).toString()).toBe('x');
      expect(o.conns()).toBe(2);
      await readAll(await c.request(new URL(`${o.url}/p`), { method: 'POST', headers: {}, signal: signal() }));
      expect(posts).toMatch(/\r\nconnection: close(\r\n|$)/);
      c.close();
    });

    it('never keeps a connection on which the server sent more than its answer', async () => {
      const o = await keptOrigin(() => `${ok('x')}HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\ny`);
      const c = new Http1Client({ connectTimeoutMs: 5000 });
      expect((await readAll(await c.request(new URL(`${o.url}/a`), { method: 'GET', headers: {}, signal: signal() }))).toString()).toBe('x');
      await new Promise((r) => setTimeout(r, 50));
      expect(c.idleConnections).toBe(0);
      c.close();
    });
  });

  describe('request bodies (uploads)', () => {
    const signal = () => new AbortController().signal;
    async function* chunksOf(parts: Buffer[], taken?: (n: number) => void): AsyncGenerator<Uint8Array> {
      for (const p of parts) {
        yield p;
        taken?.(p.length);
      }
    }
    /** An origin that reads the head and `Content-Length` bytes of body, then answers `answer`. */
    async function sink(answer: (head: string, body: Buffer) => string): Promise<string> {
      return origin((s) => {
        let buf = Buffer.alloc(0);
        s.on('data', (d) => {
          buf = Buffer.concat([buf, d]);
          const end = buf.indexOf('\r\n\r\n');
          if (end < 0) return;
          const head = buf.subarray(0, end).toString('latin1');
          const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
          if (buf.length - end - 4 < length) return;
          s.end(answer(head, buf.subarray(end + 4, end + 4 + length)));
        });
      });
    }
    const put = (url: string, body?: RequestBody, method = 'PUT'): Promise<Http1Response> =>
      http1Request(new URL(url), { method, headers: { 'Content-Length': '999' }, signal: signal(), ...(body ? { body } : {}) }, { connectTimeoutMs: 5000 });

    it('frames the body by its length (not the caller\'s header), byte for byte; a bodiless POST says 0', async () => {
      const parts = [randomBytes(3 * 1024 * 1024), randomBytes(10), randomBytes(700_000)];
      const whole = Buffer.concat(parts);
      let got: { head: string; body: Buffer } | null = null;
      const url = await sink((head, body) => {
        got = { head, body };
        return 'HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n';
      });
      let written: number | null = null;
      const res = await put(`${url}/up`, { length: whole.length, chunks: chunksOf(parts), settled: (n: number) => void (written = n) } as RequestBody);
      expect(res.statusCode).toBe(201);
      for (let i = 0; i < 100 && written === null; i++) await new Promise((r) => setTimeout(r, 10));
      expect(written).toBe(whole.length); // every byte reached the kernel
      expect(got!.head).toContain(`content-length: ${whole.length}`);
      expect(got!.head).not.toContain('999');
      expect(got!.body.equals(whole)).toBe(true);

      let head = '';
      const url2 = await sink((h) => {
        head = h;
        return 'HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n';
      });
      expect((await put(`${url2}/tus`, undefined, 'POST')).statusCode).toBe(201);
      expect(head.toLowerCase()).toContain('content-length: 0');
    });

    it('stops writing when the origin answers early, and leaves the source iterator returned', async () => {
      let finished = false;
      let taken = 0;
      async function* endless(): AsyncGenerator<Uint8Array> {
        try {
          for (;;) {
            yield Buffer.alloc(256 * 1024);
            taken++;
          }
        } finally {
          finished = true;
        }
      }
      const url = await origin(async (s, req) => {
        await req;
        s.end('HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      });
      let written: number | null = null;
      const res = await put(`${url}/big`, { length: 1024 * 1024 * 1024, chunks: endless(), settled: (n: number) => void (written = n) } as RequestBody);
      expect(res.statusCode).toBe(413);
      await res.body.dump();
      for (let i = 0; i < 100 && (!finished || written === null); i++) await new Promise((r) => setTimeout(r, 20));
      expect(finished).toBe(true);
      expect(taken).toBeLessThan(4096); // far from the 1 GiB it announced
      expect(written).toBeLessThanOrEqual((taken + 1) * 256 * 1024); // no more than was handed over: writes cut off are not counted
    });

    it('closes the connection with LENGTH_MISMATCH when the body ends short (the source shrank), and carries a source error', async () => {
      const url = await origin(() => undefined); // reads and never answers
      const short = put(`${url}/short`, { length: 100, chunks: chunksOf([Buffer.alloc(60)]) });
      const e = await short.then(() => null, (x: unknown) => x);
      expect((e as { code?: string }).code).toBe('LENGTH_MISMATCH');
      expect(failureFromError(e).outcome).toBe('retry');

      async function* failing(): AsyncGenerator<Uint8Array> {
        yield Buffer.alloc(10);
        throw Object.assign(new Error('read failed'), { code: 'EIO' });
      }
      const e2 = await put(`${url}/eio`, { length: 100, chunks: failing() }).then(() => null, (x: unknown) => x);
      expect((e2 as { code?: string }).code).toBe('EIO');
      expect(failureFromError(e2).error.code).toBe('IO_ERROR');
    });
  });

  describe('request bodies from a file, with sendfile (plain HTTP)', () => {
    const signal = () => new AbortController().signal;
    const dirs: string[] = [];
    afterEach(() => {
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    });
    function fileOf(data: Buffer): number {
      const dir = mkdtempSync(join(tmpdir(), 'ferry-sendfile-'));
      dirs.push(dir);
      writeFileSync(join(dir, 'f'), data);
      return openSync(join(dir, 'f'), 'r');
    }
    function region(fd: number, offset: number, taken: number[] = []) {
      return {
        fd,
        offset,
        ready: async () => Number.MAX_SAFE_INTEGER,
        taken: (n: number) => void taken.push(n),
      };
    }
    async function* never(): AsyncGenerator<Uint8Array> {
      throw new Error('the chunk path was taken');
    }
    let calls = 0;
    const fileSender = {
      sendFile: (s: net.Socket, fd: number, offset: number, count: number) => {
        calls++;
        return sendFileToSocket(s, fd, offset, count);
      },
      waitWritable: waitSocketWritable,
    };
    /** Reads the head, then the body at `bytesPerTick` every 10 ms (a slow reader keeps the socket full), then answers. */
    async function slowSink(bytesPerTick: number, answer = 'HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n'): Promise<{ url: string; got: Promise<{ head: string; body: Buffer }> }> {
      let resolveGot!: (v: { head: string; body: Buffer }) => void;
      const got = new Promise<{ head: string; body: Buffer }>((r) => (resolveGot = r));
      const url = await origin((s) => {
        s.pause();
        let buf = Buffer.alloc(0);
        const tick = setInterval(() => {
          for (let c: Buffer | null; buf.length < 64 * 1024 * 1024 && (c = s.read(bytesPerTick) ?? s.read()) !== null; ) {
            buf = Buffer.concat([buf, c]);
            if (c.length >= bytesPerTick) break;
          }
          const end = buf.indexOf('\r\n\r\n');
          if (end < 0) return;
          const head = buf.subarray(0, end).toString('latin1');
          const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
          if (buf.length - end - 4 < length) return;
          clearInterval(tick);
          resolveGot({ head, body: buf.subarray(end + 4, end + 4 + length) });
          s.end(answer);
        }, 10);
        s.on('close', () => clearInterval(tick));
      });
      return { url, got };
    }

    it('sends the region byte for byte after the head, also through a slow reader that keeps the socket full', async () => {
      // More than loopback's largest send and receive buffers together (tcp_wmem/tcp_rmem: 4 + 6 MiB by default).
      const data = randomBytes(16 * 1024 * 1024);
      const fd = fileOf(data);
      try {
        for (const perTick of [64 * 1024 * 1024, 128 * 1024]) {
          const { url, got } = await slowSink(perTick);
          const taken: number[] = [];
          calls = 0;
          const c = new Http1Client({ connectTimeoutMs: 5000, fileSender, keepAlive: false });
          const res = await c.request(new URL(`${url}/up`), { method: 'PUT', headers: {}, signal: signal(), body: { length: data.length - 100, chunks: never(), file: region(fd, 100, taken) } });
          expect(res.statusCode).toBe(201);
          const { head, body } = await got;
          expect(head.startsWith('PUT /up HTTP/1.1')).toBe(true);
          expect(body.equals(data.subarray(100))).toBe(true);
          expect(taken.reduce((a, b) => a + b, 0)).toBe(data.length - 100);
          if (perTick < 1024 * 1024) {
            expect(taken.length).toBeGreaterThan(1); // the socket filled: sendfile and waits for room took turns
            // A full socket is waited for (the kernel's "room" is a third of its buffer), never polled by
            // calling sendfile again, and each call after a wait moves a batch.
            expect(calls).toBeLessThan(200);
            expect(Math.min(...taken.slice(0, -1))).toBeGreaterThan(16 * 1024);
          }
        }
      } finally {
        closeSync(fd);
      }
    });

    it('closes with LENGTH_MISMATCH when the file is shorter than the region, and stops at an early answer', async () => {
      const fd = fileOf(randomBytes(1000));
      try {
        const url = await origin(() => undefined); // reads, never answers
        const short = new Http1Client({ connectTimeoutMs: 5000, fileSender }).request(new URL(`${url}/s`), { method: 'PUT', headers: {}, signal: signal(), body: { length: 5000, chunks: never(), file: region(fd, 0) } });
        const e = await short.then(() => null, (x: unknown) => x);
        expect((e as { code?: string }).code).toBe('LENGTH_MISMATCH');

        const big = fileOf(Buffer.alloc(64 * 1024 * 1024));
        const early = await origin(async (s, req) => {
          await req;
          s.end('HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\n\r\n');
        });
        const taken: number[] = [];
        const res = await new Http1Client({ connectTimeoutMs: 5000, fileSender }).request(new URL(`${early}/big`), { method: 'PUT', headers: {}, signal: signal(), body: { length: 64 * 1024 * 1024, chunks: never(), file: region(big, 0, taken) } });
        expect(res.statusCode).toBe(413);
        await res.body.dump();
        await new Promise((r) => setTimeout(r, 200)); // a sendfile in flight at the answer settles (and counts what it sent)
        const before = taken.reduce((a, b) => a + b, 0);
        await new Promise((r) => setTimeout(r, 300));
        expect(taken.reduce((a, b) => a + b, 0)).toBe(before); // nothing more after the connection ended
        expect(before).toBeLessThan(64 * 1024 * 1024);
        closeSync(big);
      } finally {
        closeSync(fd);
      }
    });

    it('reports what was sent once the last sendfile completed, also when the answer was read before that completion', async () => {
      const data = randomBytes(2 * 1024 * 1024);
      const fd = fileOf(data);
      try {
        const { url } = await slowSink(64 * 1024 * 1024);
        // The thread pool's completion of the call that sends the last bytes is delivered only after the client has
        // the answer: the order the race produced.
        let answered!: () => void;
        const answer = new Promise<void>((ok) => (answered = ok));
        const late = {
          sendFile: async (s: net.Socket, f: number, offset: number, count: number) => {
            const r = await sendFileToSocket(s, f, offset, count);
            if (offset + r.sent >= data.length) await answer;
            return r;
          },
          waitWritable: waitSocketWritable,
        };
        const taken: number[] = [];
        let settled!: (n: number) => void;
        const written = new Promise<number>((ok) => (settled = ok));
        const res = await new Http1Client({ connectTimeoutMs: 5000, fileSender: late, keepAlive: false }).request(new URL(`${url}/late`), {
          method: 'PUT',
          headers: {},
          signal: signal(),
          body: { length: data.length, chunks: never(), file: region(fd, 0, taken), settled },
        });
        expect(res.statusCode).toBe(201);
        const atAnswer = taken.reduce((a, b) => a + b, 0);
        expect(atAnswer).toBeLessThan(data.length); // the answer came first: counting here would read a short body
        answered();
        expect(await written).toBe(data.length);
        expect(taken.reduce((a, b) => a + b, 0)).toBe(data.length);
      } finally {
        closeSync(fd);
      }
    });

    it('an abort mid-way ends the request', async () => {
      const fd = fileOf(Buffer.alloc(32 * 1024 * 1024));
      try {
        const { url } = await slowSink(16 * 1024); // far too slow to finish
        const ac = new AbortController();
        const c = new Http1Client({ connectTimeoutMs: 5000, fileSender });
        const req = c.request(new URL(`${url}/a`), { method: 'PUT', headers: {}, signal: ac.signal, body: { length: 32 * 1024 * 1024, chunks: never(), file: region(fd, 0) } });
        setTimeout(() => ac.abort(new Error('stop')), 200);
        await expect(req).rejects.toThrow('stop');
      } finally {
        closeSync(fd);
      }
    });
  });
});
