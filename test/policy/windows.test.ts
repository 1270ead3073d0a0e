// Weekly windows in wall-clock time: across midnight, both DST changes in two zones, and the edge
// instants (start inclusive, end exclusive). Each row runs the pure functions with an explicit zone.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { instantOf, isInside, localDay, SYSTEM_ZONE, wallTime, windowProblems, windowState, type WindowSpec } from '../../src/policy/windows.js';

const ALL = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const span = (start: string, end: string, days = ALL): WindowSpec => [{ days, start, end }];
const Z = (iso: string): number => Date.parse(iso);
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

interface Row {
  name: string;
  zone: string;
  spec: WindowSpec;
  at: string;
  open: boolean;
  nextOpening?: string | null;
  nextClosing?: string | null;
}

const ROWS: Row[] = [
  // Across midnight (Berlin winter, UTC+1).
  { name: 'inside a night window before midnight', zone: 'Europe/Berlin', spec: span('22:00', '06:00'), at: '2026-01-14T21:30:00.000Z', open: true, nextClosing: '2026-01-15T05:00:00.000Z' },
  { name: 'inside a night window after midnight', zone: 'Europe/Berlin', spec: span('22:00', '06:00'), at: '2026-01-15T02:00:00.000Z', open: true, nextClosing: '2026-01-15T05:00:00.000Z', nextOpening: '2026-01-15T21:00:00.000Z' },
  { name: 'the start instant is inside', zone: 'Europe/Berlin', spec: span('22:00', '06:00'), at: '2026-01-14T21:00:00.000Z', open: true },
  { name: 'one ms before the start is outside', zone: 'Europe/Berlin', spec: span('22:00', '06:00'), at: '2026-01-14T20:59:59.999Z', open: false, nextOpening: '2026-01-14T21:00:00.000Z' },
  { name: 'the end instant is outside', zone: 'Europe/Berlin', spec: span('22:00', '06:00'), at: '2026-01-15T05:00:00.000Z', open: false, nextOpening: '2026-01-15T21:00:00.000Z', nextClosing: '2026-01-16T05:00:00.000Z' },
  { name: 'a Friday-night span still holds early Saturday', zone: 'Europe/Berlin', spec: span('22:00', '06:00', ['fri']), at: '2026-01-17T02:00:00.000Z', open: true, nextClosing: '2026-01-17T05:00:00.000Z' },
  { name: 'a Friday-night span does not hold early Friday', zone: 'Europe/Berlin', spec: span('22:00', '06:00', ['fri']), at: '2026-01-16T02:00:00.000Z', open: false, nextOpening: '2026-01-16T21:00:00.000Z' },
  { name: 'end 24:00 closes at midnight', zone: 'Europe/Berlin', spec: span('20:00', '24:00', ['mon']), at: '2026-01-12T22:59:00.000Z', open: true, nextClosing: '2026-01-12T23:00:00.000Z', nextOpening: '2026-01-19T19:00:00.000Z' },
  { name: 'start equal to end is 24 h', zone: 'Europe/Berlin', spec: span('06:00', '06:00', ['mon']), at: '2026-01-13T04:59:00.000Z', open: true, nextClosing: '2026-01-13T05:00:00.000Z' },
  { name: 'abutting spans make no edge at midnight', zone: 'Europe/Berlin', spec: [{ days: ALL, start: '23:00', end: '24:00' }, { days: ALL, start: '00:00', end: '01:00' }], at: '2026-01-14T22:30:00.000Z', open: true, nextClosing: '2026-01-15T00:00:00.000Z' },
  // Berlin: 2026-03-29 02:00 CET → 03:00 CEST; 2026-10-25 03:00 CEST → 02:00 CET.
  { name: 'Berlin spring: 01:00–05:00 opens in CET and closes in CEST (3 h)', zone: 'Europe/Berlin', spec: span('01:00', '05:00'), at: '2026-03-28T23:30:00.000Z', open: false, nextOpening: '2026-03-29T00:00:00.000Z', nextClosing: '2026-03-29T03:00:00.000Z' },
  { name: 'Berlin spring: a start in the gap opens at the transition', zone: 'Europe/Berlin', spec: span('02:30', '04:00'), at: '2026-03-28T23:30:00.000Z', open: false, nextOpening: '2026-03-29T01:00:00.000Z', nextClosing: '2026-03-29T02:00:00.000Z' },
  { name: 'Berlin spring: a span wholly in the gap does not open that day', zone: 'Europe/Berlin', spec: span('02:00', '02:30'), at: '2026-03-28T23:30:00.000Z', open: false, nextOpening: '2026-03-30T00:00:00.000Z' },
  { name: 'Berlin autumn: 01:00–05:00 lasts 5 h', zone: 'Europe/Berlin', spec: span('01:00', '05:00'), at: '2026-10-24T22:30:00.000Z', open: false, nextOpening: '2026-10-24T23:00:00.000Z', nextClosing: '2026-10-25T04:00:00.000Z' },
  { name: 'Berlin autumn: the repeated hour is inside', zone: 'Europe/Berlin', spec: span('01:00', '05:00'), at: '2026-10-25T01:30:00.000Z', open: true, nextClosing: '2026-10-25T04:00:00.000Z' },
  // New York: 2026-03-08 02:00 EST → 03:00 EDT; 2026-11-01 02:00 EDT → 01:00 EST.
  { name: 'New York spring: 01:00–05:00 opens in EST and closes in EDT', zone: 'America/New_York', spec: span('01:00', '05:00'), at: '2026-03-08T05:00:00.000Z', open: false, nextOpening: '2026-03-08T06:00:00.000Z', nextClosing: '2026-03-08T09:00:00.000Z' },
  { name: 'New York autumn: an ambiguous start opens at its first occurrence', zone: 'America/New_York', spec: span('01:30', '03:00'), at: '2026-11-01T05:00:00.000Z', open: false, nextOpening: '2026-11-01T05:30:00.000Z', nextClosing: '2026-11-01T08:00:00.000Z' },
  { name: 'New York autumn: the second 01:45 is inside', zone: 'America/New_York', spec: span('01:30', '03:00'), at: '2026-11-01T06:45:00.000Z', open: true, nextClosing: '2026-11-01T08:00:00.000Z' },
  { name: 'New York winter night window across midnight', zone: 'America/New_York', spec: span('23:00', '02:00', ['sat']), at: '2026-01-18T06:30:00.000Z', open: true, nextClosing: '2026-01-18T07:00:00.000Z', nextOpening: '2026-01-25T04:00:00.000Z' },
];

describe('windows', () => {
  for (const r of ROWS) {
    it(r.name, () => {
      const at = Z(r.at);
      expect(isInside(r.spec, at, r.zone)).toBe(r.open);
      const s = windowState(r.spec, at, r.zone);
      expect(s.open).toBe(r.open);
      if (r.nextOpening !== undefined) expect(iso(s.nextOpening)).toBe(r.nextOpening);
      if (r.nextClosing !== undefined) expect(iso(s.nextClosing)).toBe(r.nextClosing);
    });
  }

  it('converts wall times to instants through both DST changes', () => {
    expect(iso(instantOf(2026, 3, 29, 150, 'Europe/Berlin'))).toBe('2026-03-29T01:00:00.000Z'); // 02:30 is in the gap
    expect(iso(instantOf(2026, 10, 25, 150, 'Europe/Berlin'))).toBe('2026-10-25T00:30:00.000Z'); // first 02:30
    expect(iso(instantOf(2026, 3, 8, 180, 'America/New_York'))).toBe('2026-03-08T07:00:00.000Z');
    expect(iso(instantOf(2026, 1, 31, 24 * 60 + 60, 'America/New_York'))).toBe('2026-02-01T06:00:00.000Z'); // day overflow
  });

  it('names the local day of an instant in its zone', () => {
    expect(localDay(Z('2026-01-14T23:30:00Z'), 'Europe/Berlin')).toBe('2026-01-15');
    expect(localDay(Z('2026-01-15T03:30:00Z'), 'America/New_York')).toBe('2026-01-14');
  });

  it('reports bad spans', () => {
    expect(windowProblems([{ days: ['mon', 'xyz'], start: '25:00', end: '24:01' }])).toEqual([
      '[0].days: "xyz" is not one of sun, mon, tue, wed, thu, fri, sat',
      '[0].start: "25:00" is not HH:MM (00:00–23:59)',
      '[0].end: "24:01" is not HH:MM (00:00–24:00)',
    ]);
    expect(windowProblems(span('01:00', '05:00'))).toEqual([]);
  });

  it('state holds between an instant and its next edge (property, both zones)', () => {
    const hhmm = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })).map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
    fc.assert(
      fc.property(
        fc.constantFrom('Europe/Berlin', 'America/New_York'),
        fc.subarray(ALL, { minLength: 1 }),
        hhmm,
        hhmm,
        fc.integer({ min: Z('2026-01-01T00:00:00Z'), max: Z('2026-12-31T00:00:00Z') }),
        fc.integer({ min: 1, max: 99 }),
        (zone, days, start, end, at, pct) => {
          const spec = span(start, end, days);
          const s = windowState(spec, at, zone);
          const edge = s.open ? s.nextClosing : s.nextOpening;
          if (edge === null) return;
          expect(edge).toBeGreaterThan(at);
          expect(isInside(spec, at + Math.floor(((edge - at) * pct) / 100), zone)).toBe(s.open);
          expect(isInside(spec, edge, zone)).toBe(!s.open);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the system zone (no policy.timeZone)', () => {
  // Read through Date's local time, not Intl: it must agree with the named zone TZ points at, DST included.
  it.each(['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe'])('agrees with %s when TZ names it', (zone) => {
    const saved = process.env.TZ;
    process.env.TZ = zone;
    try {
      fc.assert(
        fc.property(fc.integer({ min: Z('2025-01-01T00:00:00Z'), max: Z('2028-01-01T00:00:00Z') }), (ms) => {
          expect(wallTime(ms, SYSTEM_ZONE)).toEqual(wallTime(ms, zone));
          const w = wallTime(ms, zone);
          for (const minute of [0, 90, 150, 1440]) expect(instantOf(w.y, w.mo, w.d, minute, SYSTEM_ZONE)).toBe(instantOf(w.y, w.mo, w.d, minute, zone));
          expect(isInside(span('01:00', '05:00'), ms, SYSTEM_ZONE)).toBe(isInside(span('01:00', '05:00'), ms, zone));
        }),
        { numRuns: 300 },
      );
      // The instants around a transition, where the two readings could part.
      for (const at of ['2026-03-29T00:59:59.999Z', '2026-03-29T01:00:00.000Z', '2026-10-25T00:59:59.999Z', '2026-10-25T01:00:00.000Z', '2026-03-08T06:59:59.999Z', '2026-03-08T07:00:00.000Z', '2026-11-01T05:59:59.999Z', '2026-11-01T06:00:00.000Z']) {
        expect(wallTime(Z(at), SYSTEM_ZONE)).toEqual(wallTime(Z(at), zone));
        expect(localDay(Z(at), SYSTEM_ZONE)).toBe(localDay(Z(at), zone));
      }
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });
});
