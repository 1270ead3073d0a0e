// Human units for ferryctl output: decimal byte sizes (the policy speaks in MB: 5 MB, 20 MB),
// rates, durations and percentages. Pure functions of their input.

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'] as const;

/** 123 B, 1.5 kB, 48 MB, 1 GB: one decimal below 10, none above, never a trailing ".0". */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '?';
  let v = Math.max(0, n);
  let u = 0;
  while (v >= 1000 && u < UNITS.length - 1) {
    v /= 1000;
    u++;
  }
  if (u === 0) return `${Math.round(v)} B`;
  const text = v < 10 ? v.toFixed(1).replace(/\.0$/, '') : String(Math.round(v));
  // Rounding 999.6 kB up reads better as the next unit.
  if (text === '1000' && u < UNITS.length - 1) return `1 ${UNITS[u + 1]}`;
  return `${text} ${UNITS[u]}`;
}

export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** 0:07, 12:30, 1:02:03; "--:--" when unknown or absurd (over 99 h). */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0 || seconds > 99 * 3600) {
    return '--:--';
  }
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** Whole percent of done/total, floored so 100 % means really done; null when the total is unknown. */
export function percentOf(done: number, total: number | null | undefined): number | null {
  if (total === null || total === undefined || total <= 0) return null;
  return Math.min(100, Math.floor((done / total) * 100));
}
