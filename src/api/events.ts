// GET /v1/events: Server-Sent Events. `transfer` on any change the caller may see (the scheduler already
// throttles progress to ~2/s per transfer), `removed`, and `conditions` on every snapshot change.
// One hub holds every stream: one listener per source for all of them (not one per client), each event
// serialised once, caps per client and in total, and rights re-checked when the client list changes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConditionsSource } from '../conditions/snapshot.js';
import type { Config } from '../config/schema.js';
import { FerryError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Job } from '../model/job.js';
import { publicTransfer } from '../model/public-transfer.js';
import type { QueueEvent } from '../queue/job-queue.js';
import { canSee, type Caller } from './identity.js';
import { SseStream, type DropReason } from './sse-stream.js';

const KEEPALIVE_MS = 15_000;
/** How often the hub looks for a changed config and for blocked clients. */
const CHECK_MS = 1000;
/** Coalesced events a blocked client may hold: more than a full queue, far less than unbounded. */
const MAX_PENDING = 20_000;

/** Where job events come from: the queue, after each change is committed, in order. */
export interface EventSources {
  subscribe(listener: (e: QueueEvent) => void): () => void;
}

export interface EventHubDeps {
  queue: EventSources;
  conditions: ConditionsSource;
  config: () => Config;
  /** Who the peer with this uid is under the current config; throws when it is no client any more. */
  identify: (uid: number) => Caller;
  log: Logger;
  now?: () => number;
}

const frame = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

export class EventHub {
  private readonly streams = new Set<SseStream>();
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  private keepaliveAt = 0;
  private seenConfig: Config | null = null;
  private offConditions: (() => void) | null = null;
  private offQueue: (() => void) | null = null;
  // One key per transfer: a blocked client keeps only the newest of its events (the seq tells it so).
  private readonly onQueue = (e: QueueEvent): void =>
    this.broadcast(e.job, `t:${e.job.id}`, e.type === 'removed' ? frame('removed', { id: e.job.id }) : frame('transfer', publicTransfer(e.job)));

  constructor(private readonly deps: EventHubDeps) {
    this.now = deps.now ?? Date.now;
  }

  get size(): number {
    return this.streams.size;
  }

  /** Opens a stream or throws TOO_MANY_STREAMS (429) over a cap. */
  open(caller: Caller, uid: number, req: IncomingMessage, res: ServerResponse): void {
    const cfg = this.deps.config().socket;
    if (this.streams.size >= cfg.maxStreams) {
      throw new FerryError('TOO_MANY_STREAMS', `the agent serves ${cfg.maxStreams} event streams already`);
    }
    let mine = 0;
    for (const s of this.streams) if (s.caller.name === caller.name) mine++;
    if (mine >= cfg.maxStreamsPerClient) {
      throw new FerryError('TOO_MANY_STREAMS', `client "${caller.name}" has ${cfg.maxStreamsPerClient} event streams open already`);
    }
    const limits = { maxBufferedBytes: cfg.maxStreamBufferBytes, maxBlockedMs: cfg.maxStreamStallS * 1000, maxPending: MAX_PENDING };
    const stream = new SseStream(res, caller, uid, limits, this.now, (s, why) => this.dropped(s, why));
    // Subscribe before the client sees the head: a client that subscribes and then reads current
    // state must not miss a change made in between.
    if (this.streams.size === 0) this.subscribe();
    this.streams.add(stream);
    const gone = (): void => {
      if (!stream.closed) {
        stream.closed = true;
        this.forget(stream);
      }
    };
    req.on('close', gone);
    res.on('close', gone);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.flushHeaders();
    stream.send('conditions', frame('conditions', this.deps.conditions.current()));
  }

  /** Ends every stream (agent shutdown). */
  closeAll(): void {
    for (const s of [...this.streams]) s.drop('shutdown');
  }

  private subscribe(): void {
    this.offQueue = this.deps.queue.subscribe(this.onQueue);
    this.offConditions = this.deps.conditions.onChange((c) => {
      const f = frame('conditions', c);
      for (const s of this.streams) s.send('conditions', f);
    });
    this.seenConfig = this.deps.config();
    this.keepaliveAt = this.now() + KEEPALIVE_MS;
    this.timer = setInterval(() => this.tick(), CHECK_MS);
    this.timer.unref();
  }

  private unsubscribe(): void {
    this.offQueue?.();
    this.offQueue = null;
    this.offConditions?.();
    this.offConditions = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private broadcast(t: Job, key: string, f: string): void {
    for (const s of this.streams) if (canSee(s.caller, t.owner)) s.send(key, f);
  }

  private tick(): void {
    const cfg = this.deps.config();
    if (cfg !== this.seenConfig) {
      this.seenConfig = cfg;
      this.recheckRights();
    }
    const keepalive = this.now() >= this.keepaliveAt;
    if (keepalive) this.keepaliveAt = this.now() + KEEPALIVE_MS;
    // keepalive() also drops a client blocked for too long, even when no event arrives.
    for (const s of [...this.streams]) if (keepalive || s.blocked) s.keepalive();
  }

  /** After a reload: a stream whose uid is no longer the same client is closed; an admin change applies. */
  private recheckRights(): void {
    for (const s of [...this.streams]) {
      let next: Caller | null = null;
      try {
        next = this.deps.identify(s.uid);
      } catch {
        next = null;
      }
      if (!next || next.name !== s.caller.name) s.drop('rights');
      else s.caller = next;
    }
  }

  private dropped(s: SseStream, why: DropReason): void {
    if (why === 'slow') this.deps.log.info({ caller: s.caller.name, pending: s.pendingCount }, 'dropped an event stream that does not read');
    else if (why === 'rights') this.deps.log.info({ caller: s.caller.name }, 'closed an event stream: its client changed in the config');
    this.forget(s);
  }

  private forget(s: SseStream): void {
    if (!this.streams.delete(s)) return;
    if (this.streams.size === 0) this.unsubscribe();
  }
}
