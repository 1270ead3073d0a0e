// The route table of API.md: method + path pattern → a thin handler calling an action.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConditionsSource } from '../conditions/snapshot.js';
import type { JobQueue } from '../queue/job-queue.js';
import { FerryError } from '../errors.js';
import type { Actions } from './actions.js';
import type { EventHub } from './events.js';
import type { Caller } from './identity.js';
import { renderMetrics } from './metrics.js';

export interface RouteContext {
  actions: Actions;
  queue: JobQueue;
  conditions: ConditionsSource;
  startedAtMs: number;
  /** Extra routes contributed by other parts (devices). */
  extra?: Route[];
  /** More Prometheus text appended to /v1/metrics (usage counters). */
  metricsExtra?: () => string;
}

export interface HandlerArgs {
  ctx: RouteContext;
  caller: Caller;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  req: IncomingMessage;
  res: ServerResponse;
  /** Every open event stream (GET /v1/events). */
  events: EventHub;
}

export type HandlerResult = { status?: number; body: unknown; contentType?: string } | undefined;

export interface Route {
  method: string;
  path: string; // segments; ":name" captures
  body?: boolean;
  handle(a: HandlerArgs): Promise<HandlerResult> | HandlerResult;
}

const ok = (body: unknown, status = 200): HandlerResult => ({ status, body });

export const ROUTES: Route[] = [
  { method: 'GET', path: '/v1/health', handle: ({ ctx }) => ok(ctx.actions.health()) },
  { method: 'GET', path: '/v1/conditions', handle: ({ ctx }) => ok(ctx.actions.conditions()) },
  { method: 'POST', path: '/v1/transfers', body: true, handle: async ({ ctx, caller, body }) => ok(await ctx.actions.enqueue(caller, body), 201) },
  { method: 'GET', path: '/v1/transfers', handle: ({ ctx, caller, query }) => ok(ctx.actions.list(caller, query.get('state') ?? undefined)) },
  { method: 'GET', path: '/v1/transfers/:id', handle: ({ ctx, caller, params }) => ok(ctx.actions.get(caller, params.id!)) },
  { method: 'POST', path: '/v1/transfers/:id/pause', body: true, handle: async ({ ctx, caller, params }) => ok(await ctx.actions.pause(caller, params.id!)) },
  { method: 'POST', path: '/v1/transfers/:id/resume', body: true, handle: ({ ctx, caller, params }) => ok(ctx.actions.resume(caller, params.id!)) },
  { method: 'POST', path: '/v1/transfers/:id/cancel', body: true, handle: async ({ ctx, caller, params }) => ok(await ctx.actions.cancel(caller, params.id!)) },
  {
    method: 'DELETE',
    path: '/v1/transfers/:id',
    handle: async ({ ctx, caller, params, res }) => {
      await ctx.actions.remove(caller, params.id!);
      res.writeHead(204).end();
      return undefined;
    },
  },
  {
    method: 'GET',
    path: '/v1/events',
    handle: ({ caller, req, res, events }) => {
      events.open(caller, caller.uid, req, res);
      return undefined;
    },
  },
  {
    method: 'GET',
    path: '/v1/metrics',
    // A non-admin's counts are its own transfers' (like GET /v1/transfers); conditions are everyone's.
    handle: ({ ctx, caller }) => ({
      body: renderMetrics(ctx.queue.all().filter((t) => ctx.actions.visible(caller, t)), ctx.conditions.current(), ctx.startedAtMs, Date.now()) + (ctx.metricsExtra?.() ?? ''),
      contentType: 'text/plain; version=0.0.4',
    }),
  },
];

export function matchRoute(
  method: string,
  pathname: string,
  routes: Route[] = ROUTES,
): { route: Route; params: Record<string, string> } | 'method' | null {
  const parts = pathname.split('/').filter(Boolean);
  let pathMatched = false;
  for (const r of routes) {
    const segs = r.path.split('/').filter(Boolean);
    if (segs.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let okPath = true;
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i]!;
      if (s.startsWith(':')) params[s.slice(1)] = decodeSegment(parts[i]!);
      else if (s !== parts[i]) {
        okPath = false;
        break;
      }
    }
    if (!okPath) continue;
    pathMatched = true;
    if (r.method === method) return { route: r, params };
  }
  return pathMatched ? 'method' : null;
}

/** A percent-encoded path segment; malformed encoding (`%ff`, a lone surrogate) is the client's error. */
function decodeSegment(seg: string): string {
  try {
    return decodeURIComponent(seg);
  } catch (e) {
    throw new FerryError('BAD_REQUEST', `the path segment ${JSON.stringify(seg.slice(0, 100))} is not valid percent-encoded UTF-8`, { cause: e });
  }
}
