// Fewer wake-ups per byte on a link slower than the disk. Each wake-up of a download costs the same
// fixed work (epoll, libuv, the read callback, the parser, the part writer) whatever it brings; on a
// link the kernel wakes the reader for every few kilobytes that arrive. SO_RCVLOWAT asks it to wake
// only once a batch waits: a fifth of a second at the measured rate, at most one lent read.
// Safety: the batch never exceeds what the body still has to send (less one TLS record when TLS sits
// between: a record's worth may already be inside the TLS layer, not in the socket), so the body's
// end always wakes us; a reader that hears nothing for LATE_MS drops back to waking on every byte (a
// link that slowed must not sit on bytes: progress, the no-progress watchdog and what a SIGKILL loses
// stay bounded); and the head of the next response on a kept connection is read at 1 (`reset`).

/** Most bytes waited for: one lent read (http1-client.ts LENT_READ). */
export const MAX_BATCH = 256 * 1024;
/** Below this a batch saves too few wake-ups to be worth a syscall. */
export const MIN_BATCH = 8 * 1024;
/** The batch is this much of a second at the measured rate. */
const BATCH_SECONDS = 0.2;
/** The rate is measured over windows this long. */
const WINDOW_MS = 500;
/** Above this rate each wake-up already brings a large read (big segments, GRO, a busy sender): batching
 * only added CPU there (1 GiB at loopback speed: +14 % ferryd CPU in an A/B). */
export const MAX_RATE = 32 * 1024 * 1024;
/** No read for this long with a batch set: back to 1. */
export const LATE_MS = 1000;
/** Plaintext a TLS layer may hold as an unfinished record (16 KiB payload plus framing). */
export const TLS_RECORD_MARGIN = 16 * 1024 + 512;

export interface WakeBatcherOptions {
  /** Sets the socket's low-water mark (SO_RCVLOWAT); a throw turns batching off for this socket. */
  apply: (bytes: number) => void;
  /** Bytes of the body that may be held above the socket (TLS_RECORD_MARGIN for TLS, else 0). */
  margin: number;
  now?: () => number;
  /** LATE_MS, unless a test wants a missed wake-up to hang rather than be rescued. */
  lateMs?: number;
}

export class WakeBatcher {
  private current = 1;
  private off = false;
  private windowStart: number;
  private windowBytes = 0;
  /** Bytes per second over the last full window; 0 until one was measured. */
  private rate = 0;
  private late: NodeJS.Timeout | null = null;
  private readonly now: () => number;

  constructor(private readonly o: WakeBatcherOptions) {
    this.now = o.now ?? performance.now.bind(performance);
    this.windowStart = this.now();
  }

  /** The low-water mark in force (1: every byte wakes). */
  get lowat(): number {
    return this.current;
  }

  /** After each read of a body: `n` bytes came, `left` are still to come (null: the framing does not say). */
  onRead(n: number, left: number | null): void {
    if (this.off) return;
    this.late?.refresh();
    const t = this.now();
    this.windowBytes += n;
    if (t - this.windowStart >= WINDOW_MS) {
      this.rate = (this.windowBytes * 1000) / (t - this.windowStart);
      this.windowStart = t;
      this.windowBytes = 0;
    }
    const room = left === null ? 0 : left - this.o.margin;
    let want = Math.min(MAX_BATCH, Math.floor(this.rate * BATCH_SECONDS), room);
    if (want < MIN_BATCH || this.rate > MAX_RATE) want = 1;
    // Over what is left must come down now (the end would not wake us); otherwise only a real change is
    // worth a syscall.
    const must = this.current > 1 && (want === 1 || this.current > room);
    if (must || Math.abs(want - this.current) * 4 > this.current) this.set(want);
  }

  /** The body ended or failed: the connection's next bytes (a head) wake us at once. */
  reset(): void {
    if (this.current > 1) this.set(1);
    this.windowStart = this.now();
    this.windowBytes = 0;
    this.rate = 0;
  }

  /** The connection closed: nothing more is set on it (its descriptor number may be reused). */
  stop(): void {
    this.off = true;
    this.stopLate();
  }

  private set(bytes: number): void {
    if (this.off) return;
    try {
      this.o.apply(bytes);
    } catch {
      // A socket already closed, or a kernel without the option: this socket reads as before.
      this.off = true;
      this.stopLate();
      return;
    }
    this.current = bytes;
    if (bytes === 1) return this.stopLate();
    if (this.late === null) {
      this.late = setTimeout(() => this.onLate(), this.o.lateMs ?? LATE_MS);
      this.late.unref();
    }
  }

  private onLate(): void {
    this.late = null;
    this.reset();
  }

  private stopLate(): void {
    if (this.late !== null) clearTimeout(this.late);
    this.late = null;
  }
}
