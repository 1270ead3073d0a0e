// The parts every conditions source shares: a value that announces itself to listeners only when it
// changes (Published), and a poll that runs at an interval, joins a poll already in flight and is waited
// for on close (Poller).
import { Listeners } from './listeners.js';

export class Published<T> {
  private listeners: Listeners<T>;

  constructor(
    private value: T,
    private readonly same: (a: T, b: T) => boolean,
    onListenerError?: (e: unknown) => void,
  ) {
    this.listeners = new Listeners<T>(onListenerError);
  }

  current(): T {
    return this.value;
  }

  /** Keeps `next` (fresh counters), and tells listeners when it differs from what they last heard. */
  set(next: T): boolean {
    const changed = !this.same(next, this.value);
    this.value = next;
    if (changed) this.listeners.emit(next);
    return changed;
  }

  onChange(listener: (value: T) => void): () => void {
    return this.listeners.add(listener);
  }

  clear(): void {
    this.listeners.clear();
  }
}

export class Poller {
  private inFlight: Promise<void> | null = null;
  private readonly timer: NodeJS.Timeout;

  /** `poll` must not throw; `after` runs once each poll has finished. */
  constructor(
    private readonly poll: () => Promise<void>,
    intervalMs: number,
    private readonly after: () => void = () => undefined,
  ) {
    this.timer = setInterval(() => void this.run(), intervalMs);
    this.timer.unref?.();
  }

  /** Polls now, or joins the poll under way. */
  run(): Promise<void> {
    this.inFlight ??= this.poll().finally(() => {
      this.inFlight = null;
      this.after();
    });
    return this.inFlight;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.inFlight;
  }
}
