// Following GET /v1/events for `watch` and `add --wait`: subscribe first, then read the current
// state (so no change falls between the two), then draw each event until a final state, an
// interrupt, or the end of the stream (the agent went away: exit 3).
import { isFinal } from '../../model/job.js';
import type { Conditions } from '../../conditions/snapshot.js';
import { AgentUnreachableError, type ApiEvent, type ApiTransfer } from '../client.js';
import { createWatchView, type WatchView } from '../format/watch-view.js';
import { formatAgentError } from '../format/errors.js';
import type { CommandContext } from './command.js';
import { EXIT } from './command.js';

export interface FollowPlan {
  /** Transfers to draw before the first event (the current state). */
  initial: ApiTransfer[];
  /** Follow only this transfer and stop at its final state; otherwise follow everything until interrupted. */
  id?: string;
  showConditions: boolean;
}

export interface FollowSession {
  /** Reads the current state now that the subscription stands, then follows. */
  run(load: () => Promise<FollowPlan>): Promise<number>;
}

/** Opens the event stream; the returned session draws what `load` returns and then follows events. */
export async function subscribe(ctx: CommandContext): Promise<FollowSession & { close(): void }> {
  const ac = new AbortController();
  const onAbort = (): void => ac.abort();
  ctx.io.signal?.addEventListener('abort', onAbort, { once: true });
  const close = (): void => {
    ctx.io.signal?.removeEventListener('abort', onAbort);
    ac.abort();
  };
  let events: AsyncIterable<ApiEvent>;
  try {
    events = await ctx.client.events(ac.signal);
  } catch (e) {
    close();
    if (ctx.io.signal?.aborted) return { run: async () => EXIT.INTERRUPTED, close };
    throw e;
  }
  return {
    close,
    async run(load) {
      try {
        return await follow(ctx, events, await load());
      } finally {
        close();
      }
    },
  };
}

async function follow(ctx: CommandContext, events: AsyncIterable<ApiEvent>, plan: FollowPlan): Promise<number> {
  const { io, json } = ctx;
  const view: WatchView | undefined = json ? undefined : createWatchView(io.stdout, { now: io.now });
  const emit = (event: string, data: unknown): void => {
    if (json) io.stdout.write(JSON.stringify({ event, data }) + '\n');
  };
  const done = (t: ApiTransfer): number | undefined => {
    if (plan.id === undefined || t.id !== plan.id || !isFinal(t.state)) return undefined;
    if (t.state === 'completed') return EXIT.OK;
    if (!json) io.stderr.write(formatAgentError(t.error ?? { code: t.state.toUpperCase(), message: `transfer ${t.state}` }) + '\n');
    return EXIT.AGENT_ERROR;
  };

  // The agent sends each transfer's changes in order with a rising seq; what the initial read already
  // showed may also arrive on the stream (subscribed first): anything not newer is dropped.
  const latest = new Map<string, number>();
  const stale = (t: ApiTransfer): boolean => {
    const seq = typeof t.seq === 'number' ? t.seq : undefined;
    if (seq === undefined) return false;
    const held = latest.get(t.id);
    if (held !== undefined && seq <= held) return true;
    latest.set(t.id, seq);
    return false;
  };
  for (const t of plan.initial) {
    stale(t);
    emit('transfer', t);
    view?.transfer(t);
    const status = done(t);
    if (status !== undefined) return status;
  }
  for await (const ev of events) {
    if (ev.event === 'transfer' && isTransfer(ev.data)) {
      if ((plan.id !== undefined && ev.data.id !== plan.id) || stale(ev.data)) continue;
      emit('transfer', ev.data);
      view?.transfer(ev.data);
      const status = done(ev.data);
      if (status !== undefined) return status;
    } else if (ev.event === 'conditions' && plan.showConditions) {
      emit('conditions', ev.data);
      view?.conditions(ev.data as Conditions);
    }
  }
  if (io.signal?.aborted) return EXIT.INTERRUPTED;
  throw new AgentUnreachableError(ctx.client.socketPath, 'the agent closed the event stream', undefined);
}

function isTransfer(data: unknown): data is ApiTransfer {
  const d = data as Partial<ApiTransfer> | null;
  return typeof d === 'object' && d !== null && typeof d.id === 'string' && typeof d.state === 'string';
}
