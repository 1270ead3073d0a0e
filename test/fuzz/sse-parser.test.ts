// Fuzzing ferryctl's SSE parser with what a broken or hostile agent could stream: arbitrary text cut at
// arbitrary points, CR/LF mixes, huge fields. Properties: never throws, and the events do not depend on
// where the stream was cut.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_LINE, SseParser, type ApiEvent } from '../../src/cli/sse-parser.js';
import { runsFor } from './fuzz-setup.js';

const piece = fc.oneof(
  fc.constantFrom('event: transfer', 'event:', 'data: {"id":"x"}', 'data:', 'data: [', ':keepalive', 'id: 1', 'retry: x', '', 'event: conditions', 'data: \ud800'),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
);
const eol = fc.constantFrom('\n', '\r\n', '\r', '');
const stream = fc.array(fc.tuple(piece, eol).map(([p, e]) => p + e), { maxLength: 12 }).map((a) => a.join(''));

function parseWhole(text: string): ApiEvent[] {
  return new SseParser().push(text);
}

describe('fuzz: SSE parser', () => {
  it('never throws and gives the same events however the stream is cut', () => {
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { maxLength: 4 }), (text, cuts) => {
        const whole = parseWhole(text);
        const p = new SseParser();
        const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        const got: ApiEvent[] = [];
        let at = 0;
        for (const c of [...points, text.length]) {
          got.push(...p.push(text.slice(at, c)));
          at = c;
        }
        expect(got).toEqual(whole);
      }),
      runsFor('sse-parser', 300_000),
    );
  }, 600_000);
});

describe('SSE parser memory', () => {
  it('drops a line that never ends instead of buffering it, then parses what follows', () => {
    const p = new SseParser();
    const chunk = 'x'.repeat(64 * 1024);
    let most = 0;
    for (let i = 0; i < 160; i++) {
      expect(p.push(chunk)).toEqual([]);
      most = Math.max(most, p.buffered);
    }
    expect(most).toBeLessThanOrEqual(MAX_LINE + chunk.length);
    expect(p.push('\nevent: transfer\ndata: {"id":"a"}\n\n')).toEqual([{ event: 'transfer', data: { id: 'a' } }]);
  });

  it('drops an event whose data passes the limit, and keeps the next one', () => {
    const p = new SseParser();
    const line = `data: ${'y'.repeat(512 * 1024)}\n`;
    for (let i = 0; i < 10; i++) p.push(line);
    expect(p.push('\n')).toEqual([]);
    expect(p.push('data: 1\n\n')).toEqual([{ event: 'message', data: 1 }]);
  });
});
