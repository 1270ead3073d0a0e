// The download path's HTTP/1.1 response parser against what an origin may send: every framing
// (Content-Length, chunked with extensions and trailers, read to the close, no body), interim 1xx
// answers, cut at arbitrary points, and random bytes. Properties: the body is the bytes sent whatever
// the cuts; anything else is a clean FerryError, never a crash or a hang.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FerryError } from '../../src/errors.js';
import { ResponseParser, type ResponseHead } from '../../src/transfer/http1/response-parser.js';
import { expectClean, runsFor } from './fuzz-setup.js';

const MAX_HEAD = 4096;

function run(wire: Buffer, cuts: readonly number[], method = 'GET', close = true): { head: ResponseHead | null; body: Buffer; ends: number; done: boolean; leftover: boolean } {
  let head: ResponseHead | null = null;
  const parts: Buffer[] = [];
  let ends = 0;
  const p = new ResponseParser(
    {
      onHead: (h) => (head = h),
      // A view of the read buffer: copied here, as the pump's writer does, before the buffer is reused.
      onBody: (buf, s, e) => parts.push(Buffer.from(buf.subarray(s, e))),
      onEnd: () => ends++,
    },
    { method, maxHeadBytes: MAX_HEAD },
  );
  // Cuts are fractions of the wire (spread over all of it); a negative list means one byte per read.
  const points =
    cuts.length === 1 && cuts[0]! < 0
      ? Array.from({ length: wire.length }, (_, i) => i)
      : [...new Set(cuts.map((c) => Math.floor(Math.abs(c) * wire.length)))].sort((a, b) => a - b);
  let at = 0;
  // One reused read buffer, as the client has: stale bytes past `end` must never be read.
  const reused = Buffer.alloc(wire.length + 16, 'HTTP/1.1 200 OK\r\n0\r\n\r\n');
  for (const c of [...points, wire.length]) {
    if (c > at) {
      wire.copy(reused, 0, at, c);
      p.execute(reused, 0, c - at);
      reused.fill('zz\r\n1\r\n', 0, c - at); // poison: stale bytes that parse
    }
    at = c;
  }
  if (close) p.finish();
  return { head, body: Buffer.concat(parts), ends, done: p.done, leftover: p.leftover };
}

const chunked = (body: Buffer, sizes: number[], ext: boolean, trailers: string[]): string[] => {
  const out: string[] = [];
  let at = 0;
  for (const s of sizes) {
    if (at >= body.length) break;
    const n = Math.min(Math.max(1, s), body.length - at);
    out.push(`${n.toString(16)}${ext ? ';name="v"' : ''}\r\n`, body.subarray(at, at + n).toString('latin1'), '\r\n');
    at += n;
  }
  if (at < body.length) out.push(`${(body.length - at).toString(16)}\r\n`, body.subarray(at).toString('latin1'), '\r\n');
  out.push('0\r\n', ...trailers.map((t) => `${t}\r\n`), '\r\n');
  return out;
};

const cutsArb = fc.oneof(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }), fc.constant([-1]));
const framing = fc.constantFrom('length', 'chunked', 'close', 'chunked-bare-lf');

describe('fuzz: HTTP/1.1 response parser', () => {
  it('gives the body that was sent whatever the framing and wherever the reads are cut', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        framing,
        fc.array(fc.integer({ min: 1, max: 700 }), { maxLength: 8 }),
        fc.boolean(),
        fc.array(fc.constantFrom('x-sum: 1', 'x-b: two'), { maxLength: 2 }),
        fc.array(fc.constantFrom('100 Continue', '103 Early Hints'), { maxLength: 2 }),
        cutsArb,
        (bytes, frame, sizes, ext, trailers, interim, cuts) => {
          const body = Buffer.from(bytes);
          const eol = frame === 'chunked-bare-lf' ? '\n' : '\r\n';
          const lines = ['HTTP/1.1 200 OK', 'ETag: "a"', 'X-Dup: 1', 'x-dup: 2'];
          if (frame === 'length') lines.push(`Content-Length: ${body.length}`);
          if (frame.startsWith('chunked')) lines.push('Transfer-Encoding: gzip, chunked'.replace('gzip, ', ext ? 'gzip, ' : ''));
          let wire = interim.map((s) => `HTTP/1.1 ${s}${eol}Link: </a>${eol}${eol}`).join('');
          wire += lines.join(eol) + eol + eol;
          const tail = frame.startsWith('chunked') ? chunked(body, sizes, ext, trailers).join('') : body.toString('latin1');
          const r = run(Buffer.from(wire + tail + (frame === 'length' ? 'HTTP/1.1 200 OK\r\n\r\nignored' : ''), 'latin1'), cuts);
          expect(r.head?.statusCode).toBe(200);
          expect(r.head?.headers['etag']).toBe('"a"');
          expect(r.head?.headers['x-dup']).toEqual(['1', '2']);
          expect(r.body.equals(body)).toBe(true);
          expect(r.ends).toBe(1);
          expect(r.done).toBe(true);
          expect(r.leftover).toBe(frame === 'length'); // only that framing had bytes after the answer
          expect(r.head?.reusable).toBe(frame !== 'close');
        },
      ),
      runsFor('http1-response-framing', 20_000),
    );
  }, 600_000);

  it('never throws anything but a clean FerryError on random bytes, and never hands on more body than it got', () => {
    const piece = fc.oneof(
      fc.constantFrom('HTTP/1.1 200 OK\r\n', 'HTTP/1.0 206 P\r\n', 'HTTP/1.1 100 C\r\n\r\n', 'Content-Length: 5\r\n', 'Content-Length: 99999999999999999\r\n',
        'Transfer-Encoding: chunked\r\n', 'transfer-encoding: x\r\n', '\r\n', '\n', ' folded\r\n', 'a:b\r\n', '5\r\nhello\r\n', '0\r\n\r\n', 'fffffffffffffff\r\n', ': x\r\n'),
      fc.string({ unit: 'binary', maxLength: 20 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 14 }), cutsArb, fc.constantFrom('GET', 'HEAD'), (pieces, cuts, method) => {
        const wire = Buffer.from(pieces.join(''), 'latin1');
        const r = expectClean(() => run(wire, cuts, method));
        if (r) expect(r.body.length).toBeLessThanOrEqual(wire.length);
      }),
      runsFor('http1-response-noise', 100_000),
    );
  }, 600_000);
});

describe('HTTP/1.1 response parser: what an origin may not do', () => {
  const bad = (wire: string, method = 'GET'): FerryError => {
    try {
      run(Buffer.from(wire, 'latin1'), [], method);
    } catch (e) {
      expect(e).toBeInstanceOf(FerryError);
      return e as FerryError;
    }
    throw new Error(`accepted: ${JSON.stringify(wire.slice(0, 60))}`);
  };
  it.each([
    ['both framings (request smuggling)', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
    ['two different lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd'],
    ['a length that is not digits', 'HTTP/1.1 200 OK\r\nContent-Length: 3x\r\n\r\nabc'],
    ['a length past 2^53', 'HTTP/1.1 200 OK\r\nContent-Length: 9999999999999999\r\n\r\n'],
    ['an obsolete folded header', 'HTTP/1.1 200 OK\r\nX-A: 1\r\n  2\r\n\r\n'],
    ['white space before the colon', 'HTTP/1.1 200 OK\r\nContent-Length : 1\r\n\r\nx'],
    ['a CR inside a value', 'HTTP/1.1 200 OK\r\nX-A: 1\r2\r\nContent-Length: 0\r\n\r\n'],
    ['a status line that is not HTTP/1.x', 'ICY 200 OK\r\n\r\n'],
    ['a three-digit status that is not one', 'HTTP/1.1 20 OK\r\n\r\n'],
    ['an unrequested upgrade', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n'],
    ['a chunk size that is not hex', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
    ['a chunk size past 2^52', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000\r\n'],
    ['chunk data longer than its size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n0\r\n\r\n'],
    ['chunked twice', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n'],
  ])('refuses %s with PROTOCOL_ERROR', (_, wire) => {
    expect(bad(wire).code).toBe('PROTOCOL_ERROR');
  });

  it('bounds the head, the header count, a chunk-size line and the trailers', () => {
    expect(bad(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(MAX_HEAD)}\r\n\r\n`).message).toMatch(/head larger than/);
    expect(bad(`HTTP/1.1 200 OK\r\n${'a: b\r\n'.repeat(300)}\r\n`).message).toMatch(/more than 256 header fields/);
    expect(bad(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;${'e'.repeat(5000)}`).message).toMatch(/chunk-size line too long/);
    expect(bad(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n${'t: v\r\n'.repeat(1000)}\r\n`).message).toMatch(/trailers too large/);
    // A head that never ends is refused once it passes the limit, without holding more than the limit.
    const p = new ResponseParser({ onHead: () => undefined, onBody: () => undefined, onEnd: () => undefined }, { method: 'GET', maxHeadBytes: MAX_HEAD });
    const junk = Buffer.alloc(1024, 0x61);
    p.execute(Buffer.from('HTTP/1.1 200 OK\r\nX: '));
    expect(() => {
      for (let i = 0; i < 100; i++) p.execute(junk);
    }).toThrow(/head larger than/);
  });

  it('ends with the connection only a body that runs to the close; a cut body is LENGTH_MISMATCH or NETWORK_ERROR', () => {
    expect(bad('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc').code).toBe('LENGTH_MISMATCH');
    expect(bad('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab').code).toBe('NETWORK_ERROR');
    expect(bad('').code).toBe('NETWORK_ERROR');
    expect(bad('HTTP/1.1 200 OK\r\nContent-Le').code).toBe('NETWORK_ERROR');
    const r = run(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\nto the close'), [0.1, 0.7]);
    expect(r.body.toString()).toBe('to the close');
  });

  it('reads no body after HEAD, 204 and 304 whatever the headers say', () => {
    for (const [wire, method] of [
      ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n', 'HEAD'],
      ['HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n', 'GET'],
      ['HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n', 'GET'],
    ] as const) {
      const r = run(Buffer.from(wire), [], method, false);
      expect(r).toMatchObject({ ends: 1, done: true });
      expect(r.body.length).toBe(0);
    }
  });
});
