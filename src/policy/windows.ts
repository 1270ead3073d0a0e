// Weekly time windows in local wall-clock time (policy.windows): "is instant T inside, in zone Z?" and
// "when is the next edge after T?". Pure: the instant and the IANA zone are parameters; Intl supplies
// the zone's offsets, so DST is whatever the zone's rules say. A span belongs to the day it starts
// on; one whose end is not after its start crosses midnight (start == end: 24 h from start).
// In a DST gap a wall time that does not exist happens at the first instant after the gap; a wall
// time that exists twice (clocks going back) happens at its first occurrence.

export const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Day = (typeof DAYS)[number];

export interface WindowSpan {
  days: readonly string[];
  /** "HH:MM", 00:00–23:59 */
  start: string;
  /** "HH:MM", 00:00–24:00 */
  end: string;
}

export type WindowSpec = readonly WindowSpan[];

const MIN = 60_000;
const DAY = 86_400_000;

/** Minutes since midnight of "HH:MM", or null when it is not a wall time (24:00 only as an end). */
export function parseHhmm(s: string, asEnd = false): number | null {
  const m = /^(\d{2}):(\d{2})$/.exec(s);
  if (!m) return null;
  const h = Number(m[1]);
  const mi = Number(m[2]);
  if (mi > 59) return null;
  if (h === 24 && mi === 0 && asEnd) return 1440;
  return h <= 23 ? h * 60 + mi : null;
}

/** What is wrong with a window's spans (empty when valid), each naming the span. */
export function windowProblems(spec: WindowSpec): string[] {
  const out: string[] = [];
  if (spec.length === 0) out.push('a window needs at least one span');
  spec.forEach((s, i) => {
    if (s.days.length === 0) out.push(`[${i}].days: empty`);
    for (const d of s.days) if (!(DAYS as readonly string[]).includes(d)) out.push(`[${i}].days: "${d}" is not one of ${DAYS.join(', ')}`);
    if (parseHhmm(s.start) === null) out.push(`[${i}].start: "${s.start}" is not HH:MM (00:00–23:59)`);
    if (parseHhmm(s.end, true) === null) out.push(`[${i}].end: "${s.end}" is not HH:MM (00:00–24:00)`);
  });
  return out;
}

/** True when `zone` is an IANA zone this Node knows. */
export function isKnownZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

interface Wall {
  y: number;
  mo: number;
  d: number;
  /** 0 = Sunday */
  wd: number;
  /** ms since local midnight */
  msOfDay: number;
}

// Formatters are costly to build and immutable: one per zone.
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/**
 * The system's own zone (TZ, /etc/localtime), read through Date's local-time methods: an agent with no
 * configured zone never builds an Intl.DateTimeFormat, whose ICU locale data costs ~6 MiB of resident memory.
 */
export const SYSTEM_ZONE = '';

/** Local calendar fields of an instant in a zone. */
export function wallTime(ms: number, zone: string): Wall {
  if (zone === SYSTEM_ZONE) {
    const t = new Date(ms);
    const msOfDay = ((t.getHours() * 60 + t.getMinutes()) * 60 + t.getSeconds()) * 1000 + t.getMilliseconds();
    return { y: t.getFullYear(), mo: t.getMonth() + 1, d: t.getDate(), wd: t.getDay(), msOfDay };
  }
  const f: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(ms)) if (p.type !== 'literal') f[p.type] = Number(p.value);
  const y = f['year']!;
  const mo = f['month']!;
  const d = f['day']!;
  const wd = new Date(Date.UTC(y, mo - 1, d)).getUTCDay();
  return { y, mo, d, wd, msOfDay: ((f['hour']! * 60 + f['minute']!) * 60 + f['second']!) * 1000 + (((ms % 1000) + 1000) % 1000) };
}

/** Local date "YYYY-MM-DD" of an instant in a zone. */
export function localDay(ms: number, zone: string): string {
  const w = wallTime(ms, zone);
  return `${w.y}-${String(w.mo).padStart(2, '0')}-${String(w.d).padStart(2, '0')}`;
}

/** Local day of an instant and the instant the next local day starts. */
export function dayBounds(ms: number, zone: string): { day: string; endsAt: number } {
  const w = wallTime(ms, zone);
  return { day: localDay(ms, zone), endsAt: instantOf(w.y, w.mo, w.d + 1, 0, zone) };
}

/** Zone offset (local − UTC) in ms at an instant, to the second. */
function offsetAt(ms: number, zone: string): number {
  const w = wallTime(ms, zone);
  const secs = Math.floor(ms / 1000) * 1000;
  return Date.UTC(w.y, w.mo - 1, w.d) + Math.floor(w.msOfDay / 1000) * 1000 - secs;
}

/** The instant of a local wall time (`minute` may exceed 1440: the following days). */
export function instantOf(y: number, mo: number, d: number, minute: number, zone: string): number {
  const wall = Date.UTC(y, mo - 1, d, 0, minute);
  // Offsets a day either side bracket any transition near this wall time (zones change at most once a day).
  const before = wall - offsetAt(wall - DAY, zone);
  const after = wall - offsetAt(wall + DAY, zone);
  const valid = [before, after].filter((c) => c + offsetAt(c, zone) === wall);
  if (valid.length > 0) return Math.min(...valid);
  // In a gap: the transition lies between the two readings; find its first second.
  let lo = Math.min(before, after);
  let hi = Math.max(before, after);
  const oHi = offsetAt(hi, zone);
  while (hi - lo > 1000) {
    const mid = Math.floor((lo + hi) / 2000) * 1000;
    if (offsetAt(mid, zone) === oHi) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Is the instant inside the window in that zone? */
export function isInside(spec: WindowSpec, ms: number, zone: string): boolean {
  const w = wallTime(ms, zone);
  const today = DAYS[w.wd]!;
  const yesterday = DAYS[(w.wd + 6) % 7]!;
  for (const s of spec) {
    const start = parseHhmm(s.start)! * MIN;
    let end = parseHhmm(s.end, true)! * MIN;
    if (end <= start) end += DAY;
    if (s.days.includes(today) && w.msOfDay >= start && w.msOfDay < end) return true;
    if (end > DAY && s.days.includes(yesterday) && w.msOfDay < end - DAY) return true;
  }
  return false;
}

/** Every start and end instant of the window's spans from the day before `ms` to 8 days after, sorted. */
function candidateEdges(spec: WindowSpec, ms: number, zone: string): number[] {
  const w = wallTime(ms, zone);
  const out: number[] = [];
  for (let k = -1; k <= 8; k++) {
    const wd = (((w.wd + k) % 7) + 7) % 7;
    for (const s of spec) {
      if (!s.days.includes(DAYS[wd]!)) continue;
      const start = parseHhmm(s.start)!;
      let end = parseHhmm(s.end, true)!;
      if (end <= start) end += 1440;
      out.push(instantOf(w.y, w.mo, w.d + k, start, zone), instantOf(w.y, w.mo, w.d + k, end, zone));
    }
  }
  return out.sort((a, b) => a - b);
}

export interface WindowState {
  open: boolean;
  /** The next instant after `ms` where the window opens (open: false→true); null if never within 8 days. */
  nextOpening: number | null;
  /** The next instant after `ms` where the window closes; null if never within 8 days. */
  nextClosing: number | null;
}

/** Whether the window is open at `ms`, and its next opening and closing instants. */
export function windowState(spec: WindowSpec, ms: number, zone: string): WindowState {
  const open = isInside(spec, ms, zone);
  let nextOpening: number | null = null;
  let nextClosing: number | null = null;
  let prev = open;
  // Walk the edges in time order tracking the state, so abutting spans (23:00–24:00 + 00:00–01:00)
  // and spans lost in a DST gap produce no false edge.
  for (const c of candidateEdges(spec, ms, zone)) {
    if (c <= ms) continue;
    const now = isInside(spec, c, zone);
    if (now === prev) continue;
    if (now && nextOpening === null) nextOpening = c;
    if (!now && nextClosing === null) nextClosing = c;
    prev = now;
    if (nextOpening !== null && nextClosing !== null) break;
  }
  return { open, nextOpening, nextClosing };
}
