// Progress of a followed transfer: a rate estimated over a sliding window of observed byte counts
// (the agent sends progress at most ~2/s), and the one-line bar drawn on a TTY.
import type { ApiTransfer } from '../client.js';
import { progressPercent, shortId } from './transfer.js';
import { formatBytes, formatDuration, formatRate, percentOf } from './units.js';

/** Sliding-window byte rate; a drop in bytes (restart from zero) or a pause starts it afresh. */
export class RateEstimator {
  private samples: { at: number; bytes: number }[] = [];
  constructor(private readonly windowMs = 10_000) {}

  observe(at: number, bytes: number, running: boolean): void {
    const last = this.samples[this.samples.length - 1];
    if (!running || (last && bytes < last.bytes)) this.samples = [];
    if (!running) return;
    this.samples.push({ at, bytes });
    while (this.samples.length > 2 && at - this.samples[0]!.at > this.windowMs) this.samples.shift();
  }

  /** Bytes per second, or null until at least half a second of running has been seen. */
  rate(): number | null {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.at - first.at < 500) return null;
    return ((last.bytes - first.bytes) * 1000) / (last.at - first.at);
  }
}

export function etaSeconds(t: Pick<ApiTransfer, 'bytesTransferred' | 'totalBytes'>, rate: number | null): number | null {
  if (rate === null || rate <= 0 || t.totalBytes === null) return null;
  return Math.max(0, t.totalBytes - t.bytesTransferred) / rate;
}

/** "1.2 MB/s, ETA 0:12" (or "" when nothing is known yet). */
export function rateWords(t: ApiTransfer, rate: number | null): string {
  if (rate === null) return '';
  const eta = etaSeconds(t, rate);
  return eta === null ? formatRate(rate) : `${formatRate(rate)}, ETA ${formatDuration(eta)}`;
}

function bar(fraction: number, width: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

/** One TTY line: "3f2a1b4c [#####-----]  45 %  12 MB of 27 MB  1.2 MB/s  ETA 0:12  running", cut to `columns`. */
export function progressBarLine(t: ApiTransfer, rate: number | null, columns: number): string {
  const pct = t.state === 'completed' ? 100 : percentOf(t.bytesTransferred, t.totalBytes);
  const size = t.totalBytes === null ? formatBytes(t.bytesTransferred) : `${formatBytes(t.bytesTransferred)} of ${formatBytes(t.totalBytes)}`;
  const tail: string[] = [size];
  if (t.state === 'running') {
    if (rate !== null) tail.push(formatRate(rate));
    const eta = etaSeconds(t, rate);
    if (eta !== null) tail.push(`ETA ${formatDuration(eta)}`);
    tail.push('running');
  } else {
    tail.push(t.state);
  }
  const barWidth = Math.max(10, Math.min(30, columns - 60));
  const head = pct === null ? shortId(t.id) : `${shortId(t.id)} ${bar(pct / 100, barWidth)} ${progressPercent(t).padStart(5)}`;
  const line = `${head}  ${tail.join('  ')}`;
  return line.length > columns - 1 ? line.slice(0, Math.max(0, columns - 2)) + '…' : line;
}
