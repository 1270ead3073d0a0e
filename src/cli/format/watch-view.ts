// What `watch` and `add --wait` print for each event. On a TTY: one bar per transfer, redrawn in
// place, with each state change also printed for good above the bars. Otherwise: a line per state change and at most one progress line per transfer every few
// seconds, so logs of long transfers stay short.
import { isFinal } from '../../model/job.js';
import type { Conditions } from '../../conditions/snapshot.js';
import type { ApiTransfer } from '../client.js';
import type { OutputStream } from '../commands/command.js';
import { conditionsLine } from './conditions.js';
import { RateEstimator, progressBarLine, rateWords } from './progress.js';
import { progressWords, shortId, stateLine } from './transfer.js';

export interface WatchView {
  transfer(t: ApiTransfer): void;
  conditions(c: Conditions): void;
}

export interface WatchViewOptions {
  now(): number;
  /** Plain mode: minimum spacing of progress lines for one transfer. */
  progressIntervalMs?: number;
}

export function createWatchView(out: OutputStream, opts: WatchViewOptions): WatchView {
  return out.isTTY ? new TtyView(out, opts) : new PlainView(out, opts);
}

interface Seen {
  state: string;
  reasons: string;
  error: string;
  lastLineAt: number;
  rate: RateEstimator;
}

function keyOf(t: ApiTransfer): Pick<Seen, 'state' | 'reasons' | 'error'> {
  return { state: t.state, reasons: t.reasons.map((r) => r.code).join(','), error: t.error?.code ?? '' };
}

class PlainView implements WatchView {
  private readonly seen = new Map<string, Seen>();
  private readonly interval: number;
  constructor(
    private readonly out: OutputStream,
    private readonly opts: WatchViewOptions,
  ) {
    this.interval = opts.progressIntervalMs ?? 5_000;
  }

  transfer(t: ApiTransfer): void {
    const now = this.opts.now();
    const key = keyOf(t);
    let s = this.seen.get(t.id);
    const changed = !s || s.state !== key.state || s.reasons !== key.reasons || s.error !== key.error;
    if (!s) {
      s = { ...key, lastLineAt: now, rate: new RateEstimator() };
      this.seen.set(t.id, s);
    }
    s.rate.observe(now, t.bytesTransferred, t.state === 'running');
    if (changed) {
      Object.assign(s, key, { lastLineAt: now });
      this.out.write(stateLine(t) + '\n');
    } else if (t.state === 'running' && now - s.lastLineAt >= this.interval) {
      s.lastLineAt = now;
      const rate = rateWords(t, s.rate.rate());
      this.out.write(`${shortId(t.id)} running ${progressWords(t)}${rate ? `, ${rate}` : ''}\n`);
    }
  }

  conditions(c: Conditions): void {
    this.out.write(conditionsLine(c) + '\n');
  }

}

class TtyView implements WatchView {
  /** Transfers whose bars are still redrawn; a finished one is drawn once more, then left in place. */
  private order: string[] = [];
  private readonly finished = new Set<string>();
  private readonly lines = new Map<string, string>();
  private readonly rates = new Map<string, RateEstimator>();
  private readonly keys = new Map<string, string>();
  private drawn = 0;
  constructor(
    private readonly out: OutputStream,
    private readonly opts: WatchViewOptions,
  ) {}

  transfer(t: ApiTransfer): void {
    let rate = this.rates.get(t.id);
    if (!rate) {
      rate = new RateEstimator();
      this.rates.set(t.id, rate);
      this.order.push(t.id);
    }
    rate.observe(this.opts.now(), t.bytesTransferred, t.state === 'running');
    this.lines.set(t.id, progressBarLine(t, rate.rate(), this.out.columns ?? 80));
    // The bar has room for little more than the state: the full line (reasons, error) goes above it.
    const key = JSON.stringify(keyOf(t));
    const changed = this.keys.get(t.id) !== key;
    this.keys.set(t.id, key);
    if (isFinal(t.state)) this.finished.add(t.id);
    this.redraw(changed ? stateLine(t) : undefined);
  }

  conditions(c: Conditions): void {
    this.redraw(conditionsLine(c));
  }

  /**
   * Moves back over the bars drawn last time (ESC[nF), clears below (ESC[J) and draws again:
   * finished bars first, for the last time, so the live ones stay together at the bottom.
   */
  private redraw(above?: string): void {
    let s = this.drawn > 0 ? `\x1b[${this.drawn}F\x1b[J` : '';
    if (above !== undefined) s += above + '\n';
    const live = this.order.filter((id) => !this.finished.has(id));
    for (const id of this.order) if (this.finished.has(id)) s += (this.lines.get(id) ?? '') + '\n';
    for (const id of live) s += (this.lines.get(id) ?? '') + '\n';
    this.order = live;
    this.drawn = live.length;
    this.out.write(s);
  }
}
