// One client's text/event-stream with back-pressure. While the socket refuses more (write() returned
// false) events are not buffered in order but coalesced by key, latest wins: a transfer's state, its
// removal, the conditions. A client blocked too long, or over the buffer or pending limit, is dropped.
import type { ServerResponse } from 'node:http';
import type { Caller } from './identity.js';

export interface StreamLimits {
  /** Bytes Node may hold for the socket before the client is dropped. */
  maxBufferedBytes: number;
  /** How long a client may refuse data before it is dropped. */
  maxBlockedMs: number;
  /** Distinct coalesced events held for a blocked client. */
  maxPending: number;
}

export type DropReason = 'slow' | 'rights' | 'shutdown';

export class SseStream {
  private readonly pending = new Map<string, string>();
  private blockedSince: number | null = null;
  closed = false;

  constructor(
    private readonly res: ServerResponse,
    /** Re-evaluated when the client list changes (SIGHUP). */
    public caller: Caller,
    readonly uid: number,
    private readonly limits: StreamLimits,
    private readonly now: () => number,
    private readonly onDrop: (s: SseStream, why: DropReason) => void,
  ) {
    res.on('drain', () => this.flush());
  }

  /** Sends or, while blocked, keeps the latest frame for `key`. */
  send(key: string, frame: string): void {
    if (this.closed) return;
    if (this.blockedSince !== null) {
      this.pending.delete(key); // re-inserted last: the order of the latest changes
      this.pending.set(key, frame);
      this.checkSlow();
      return;
    }
    if (!this.res.write(frame)) this.blockedSince = this.now();
    this.checkSlow();
  }

  keepalive(): void {
    if (this.closed) return;
    if (this.blockedSince === null) {
      if (!this.res.write(': keepalive\n\n')) this.blockedSince = this.now();
    }
    this.checkSlow();
  }

  get blocked(): boolean {
    return this.blockedSince !== null;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Ends the stream; destroy (not end) so a client that does not read cannot hold the buffers. */
  drop(why: DropReason): void {
    if (this.closed) return;
    this.closed = true;
    this.onDrop(this, why);
    this.pending.clear();
    if (why === 'slow') this.res.destroy();
    else this.res.end();
  }

  private flush(): void {
    this.blockedSince = null;
    for (const [key, frame] of this.pending) {
      this.pending.delete(key);
      if (!this.res.write(frame)) {
        this.blockedSince = this.now();
        return;
      }
    }
  }

  private checkSlow(): void {
    if (this.blockedSince === null) return;
    if (
      this.res.writableLength > this.limits.maxBufferedBytes ||
      this.pending.size > this.limits.maxPending ||
      this.now() - this.blockedSince > this.limits.maxBlockedMs
    ) {
      this.drop('slow');
    }
  }
}
