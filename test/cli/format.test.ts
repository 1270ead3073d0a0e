// Pure parts of ferryctl: the SSE parser, human units, conditions in words, the rate estimator.
import { describe, expect, it } from 'vitest';
import { SseParser } from '../../src/cli/sse-parser.js';
import { formatBytes, formatDuration, percentOf } from '../../src/cli/format/units.js';
import { conditionsLines, networkWords, powerWords, dataPlanWords } from '../../src/cli/format/conditions.js';
import { RateEstimator } from '../../src/cli/format/progress.js';
import { renderTable } from '../../src/cli/format/table.js';
import { CONDITIONS } from './api-samples.js';

describe('SseParser', () => {
  it('yields events split across arbitrary chunk boundaries, with JSON data parsed', () => {
    const text = 'event: transfer\ndata: {"id":"a","state":"running"}\n\n: keep-alive\n\nevent: conditions\r\ndata: {"x":1}\r\n\r\n';
    for (const size of [1, 2, 3, 7, text.length]) {
      const p = new SseParser();
      const got = [];
      for (let i = 0; i < text.length; i += size) got.push(...p.push(text.slice(i, i + size)));
      expect(got, `chunk size ${size}`).toEqual([
        { event: 'transfer', data: { id: 'a', state: 'running' } },
        { event: 'conditions', data: { x: 1 } },
      ]);
    }
  });

  it('joins multi-line data, defaults the event name to "message" and keeps non-JSON as text', () => {
    const p = new SseParser();
    expect(p.push('data: one\ndata:two\n\nevent: x\n\n')).toEqual([{ event: 'message', data: 'one\ntwo' }]);
  });
});

describe('units', () => {
  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [1500, '1.5 kB'],
    [48_000_000, '48 MB'],
    [50_331_648, '50 MB'],
    [1_000_000_000, '1 GB'],
    [999_600, '1 MB'],
    [null, '?'],
  ])('formatBytes(%j) = %s', (n, text) => expect(formatBytes(n)).toBe(text));

  it('formats durations and floors percentages so 100 % means done', () => {
    expect([formatDuration(7), formatDuration(750), formatDuration(3723), formatDuration(null)]).toEqual(['0:07', '12:30', '1:02:03', '--:--']);
    expect([percentOf(999, 1000), percentOf(5, null), percentOf(1000, 1000)]).toEqual([99, null, 100]);
  });
});

describe('conditions in words', () => {
  it('describes each kind of network, power source and data plan', () => {
    expect(networkWords({ kind: 'none', interface: null, generation: null, metered: false, roaming: false })).toBe('none');
    expect(networkWords({ kind: 'wifi', interface: 'wlan0', generation: null, metered: false, roaming: false })).toBe('wifi via wlan0, not metered');
    expect(powerWords({ source: 'external', batteryPercent: null, charging: false })).toBe('external');
    expect(powerWords({ source: 'external', batteryPercent: 80, charging: true })).toBe('external, battery 80 %, charging');
    expect(dataPlanWords({ state: 'over', usedBytes: 2_000_000, limitBytes: null })).toBe('over (2 MB used, no limit)');
  });

  it('says storage is low and names every source', () => {
    const lines = conditionsLines({ ...CONDITIONS, storage: { freeBytes: 150_000_000, low: true } });
    expect(lines).toContain('storage: 150 MB free, low');
    expect(lines.at(-1)).toBe('sources: network networkmanager, modem modemmanager, power sysfs');
  });
});

describe('RateEstimator', () => {
  it('measures over its window and starts afresh after a pause or a restart from zero', () => {
    const r = new RateEstimator(10_000);
    r.observe(0, 0, true);
    expect(r.rate()).toBeNull();
    r.observe(1000, 2000, true);
    r.observe(2000, 4000, true);
    expect(r.rate()).toBe(2000);
    r.observe(3000, 4000, false);
    expect(r.rate()).toBeNull();
    r.observe(4000, 4000, true);
    r.observe(5000, 4500, true);
    expect(r.rate()).toBe(500);
    r.observe(6000, 100, true); // restarted from zero: the old samples no longer count
    expect(r.rate()).toBeNull();
  });
});

describe('renderTable', () => {
  it('pads every column but the last', () => {
    expect(renderTable(['A', 'BB', 'C'], [['xxx', 'y', 'long tail'], ['z', '', '']])).toBe('A    BB  C\nxxx  y   long tail\nz');
  });
});
