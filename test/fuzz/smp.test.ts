// Fuzzing SMP as a hostile device speaks it: packets with lying lengths, CBOR bodies with odd types,
// deep nesting, huge declared sizes, offsets that jump, wrong sequence numbers; cut anywhere for the
// reassembler. Through the public functions only: decodePacket/decodeBody, SmpReassembler, SmpClient.
import { EventEmitter } from 'node:events';
import { encode } from 'cbor2';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SmpReassembler } from '../../drivers/smp-reassembler.js';
import type { Transport } from '../../drivers/transport.js';
import { decodeBody } from '../../src/sync/smp/smp-cbor.js';
import { SmpClient } from '../../src/sync/smp/smp-client.js';
import { decodeHeader, decodePacket, encodeHeader } from '../../src/sync/smp/smp-packet.js';
import { expectClean, expectCleanAsync, runsFor } from './fuzz-setup.js';

/** CBOR heads a hostile encoder picks: huge declared lengths, indefinite items, deep nesting, tags. */
const hostileCbor = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 40 }) },
  {
    weight: 4,
    arbitrary: fc
      .constantFrom(
        '5bffffffffffffffff', '9bffffffffffffffff', 'bbffffffffffffffff', '7a7fffffff', 'bf', 'bfff', '9f', 'ff',
        'c1fb7ff0000000000000', 'd81c80', 'd81d00', 'a1', 'a16372632f', 'a1637263', 'f7', 'f97e00', 'fb7ff8000000000000',
      )
      .map((h) => Uint8Array.from(Buffer.from(h, 'hex'))),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(8, 1030).map((n) => {
      const b = new Uint8Array(n + 1).fill(0x81); // arrays nested n deep
      b[n] = 0;
      return b;
    }),
  },
);

/** Values a device may put in an answer field: right type, wrong type, out of range. */
const fieldValue = fc.oneof(
  fc.integer(),
  fc.constantFrom(0, -1, 2 ** 32, 2 ** 53, Number.MAX_VALUE, Number.NaN, Infinity, -0, 2n ** 64n, -(2n ** 63n), null, true, '', '0'),
  fc.uint8Array({ maxLength: 64 }),
  fc.string({ maxLength: 16 }),
  fc.constant({ group: 8, rc: 3 }),
  fc.record({ group: fc.oneof(fc.integer(), fc.string()), rc: fc.oneof(fc.integer(), fc.constant(2n ** 70n)) }),
  fc.array(fc.integer(), { maxLength: 3 }),
);
const answerBody = fc.dictionary(
  fc.constantFrom('off', 'len', 'data', 'rc', 'err', 'r', 'rsn', 'output', 'type', 'images', 'buf_size', 'buf_count', 'fields', 'o', 'ret', 'match', 'types'),
  fieldValue,
  { maxKeys: 6 },
).map((o) => Uint8Array.from(encode(o)));

const header = fc.record({
  op: fc.integer({ min: 0, max: 7 }),
  version: fc.constantFrom<1 | 2>(1, 2),
  flags: fc.integer({ min: 0, max: 255 }),
  group: fc.integer({ min: 0, max: 0xffff }),
  seq: fc.integer({ min: 0, max: 255 }),
  id: fc.integer({ min: 0, max: 255 }),
});

describe('fuzz: SMP from a hostile device', () => {
  it('decodePacket and decodeHeader reject cleanly (random bytes, lying lengths)', () => {
    const packet = fc.oneof(
      fc.uint8Array({ maxLength: 80 }),
      fc.tuple(header, fc.integer({ min: -3, max: 3 }), fc.uint8Array({ maxLength: 40 })).map(([h, delta, body]) => withHeader(h, body, delta)),
    );
    fc.assert(
      fc.property(packet, (bytes) => {
        const p = expectClean(() => decodePacket(bytes));
        if (p) expect(p.body.length).toBe(p.header.length);
        expectClean(() => decodeHeader(bytes));
      }),
      runsFor('smp-packet', 200_000),
    );
  }, 600_000);

  // cbor2 is slow on hostile input (a body nested past its 1024-level limit costs milliseconds), so this
  // target runs fewer cases than the cheap ones.
  it('decodeBody rejects hostile CBOR cleanly and returns only plain objects', () => {
    fc.assert(
      fc.property(fc.oneof({ weight: 1, arbitrary: hostileCbor }, { weight: 2, arbitrary: answerBody }), (bytes) => {
        const body = expectClean(() => decodeBody(bytes));
        if (body) expect(typeof body === 'object' && body !== null && !Array.isArray(body)).toBe(true);
      }),
      runsFor('smp-cbor-body', 20_000),
    );
  }, 600_000);

  it('the reassembler never holds more than one packet and rejects oversized announcements cleanly', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 120 }), { maxLength: 6 }), fc.integer({ min: 8, max: 2048 }), (chunks, max) => {
        const r = new SmpReassembler(max);
        for (const c of chunks) {
          const out = expectClean(() => r.push(c)) ?? [];
          for (const p of out) expect(p.length).toBeLessThanOrEqual(Math.max(max, 8 + 0xffff));
          expect(r.pending).toBeLessThanOrEqual(max);
        }
      }),
      runsFor('smp-reassembler', 100_000),
    );
  }, 600_000);

  it('the client answers every hostile exchange with a clean rejection or a result, and never hangs', async () => {
    const reply = fc.record({
      matchSeq: fc.boolean(),
      matchRoute: fc.boolean(),
      h: header,
      body: fc.oneof({ weight: 3, arbitrary: answerBody }, { weight: 1, arbitrary: hostileCbor }),
      lengthDelta: fc.constantFrom(0, 0, 0, 1, -1),
    });
    const op = fc.constantFrom('download', 'echo', 'params', 'state', 'hash', 'stats', 'shell', 'upload');
    await fc.assert(
      fc.asyncProperty(op, fc.array(reply, { minLength: 1, maxLength: 6 }), async (what, replies) => {
        const device = new HostileDevice(replies);
        // Timers that fire on the next turn: a silent device costs one turn, not a second.
        const timers = { setTimeout: (fn: () => void) => setImmediate(fn), clearTimeout: (h: unknown) => clearImmediate(h as NodeJS.Immediate) };
        const client = new SmpClient(device, { timeoutMs: 1, retries: 0, timers });
        const run = expectCleanAsync(async () => {
          switch (what) {
            case 'download': return client.fs.download('/lfs/a', { offset: 0 });
            case 'echo': return client.os.echo('x');
            case 'params': return client.packetLimit();
            case 'state': return client.image.state();
            case 'hash': return client.fs.hash('/lfs/a', 'sha256');
            case 'stats': return client.stats.list();
            case 'shell': return client.shell.exec(['ls']);
            case 'upload': return client.fs.upload('/lfs/b', new Uint8Array(300));
          }
        });
        let timer: NodeJS.Timeout | undefined;
        const hang = new Promise<'hang'>((r) => (timer = setTimeout(() => r('hang'), 5000)));
        const r = await Promise.race([run.then(() => 'done'), hang]);
        clearTimeout(timer);
        client.detach();
        expect(r).toBe('done');
      }),
      runsFor('smp-client', 3_000),
    );
  }, 600_000);
});

function withHeader(h: { op: number; version: 1 | 2; flags: number; group: number; seq: number; id: number }, body: Uint8Array, lengthDelta: number): Uint8Array {
  const out = new Uint8Array(8 + body.length);
  out.set(encodeHeader({ ...h, length: Math.max(0, Math.min(0xffff, body.length + lengthDelta)) }), 0);
  out.set(body, 8);
  return out;
}

interface Reply {
  matchSeq: boolean;
  matchRoute: boolean;
  h: { op: number; version: 1 | 2; flags: number; group: number; seq: number; id: number };
  body: Uint8Array;
  lengthDelta: number;
}

/** A transport whose device answers each request with the next scripted reply, then goes silent. */
class HostileDevice extends EventEmitter implements Transport {
  readonly kind = 'udp' as const;
  readonly description = 'fuzz:hostile';
  readonly mtu = 1024;
  readonly isOpen = true;
  constructor(private readonly replies: Reply[]) {
    super();
  }
  async open(): Promise<void> {}
  async close(): Promise<void> {}
  async send(packet: Uint8Array): Promise<void> {
    const req = decodeHeader(packet);
    const r = this.replies.shift();
    if (!r) return;
    const h = {
      ...r.h,
      ...(r.matchSeq ? { seq: req.seq } : {}),
      ...(r.matchRoute ? { op: req.op + 1, group: req.group, id: req.id } : {}),
    };
    const out = withHeader(h, r.body, r.lengthDelta);
    queueMicrotask(() => this.emit('packet', out));
  }
}
