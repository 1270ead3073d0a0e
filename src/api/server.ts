// The control API: HTTP/1.1 on a Unix socket (API.md). Identifies the caller from the socket's peer
// credentials, reads size-limited JSON bodies, dispatches to the route table, maps every error once.
import { chmod, chown, mkdir, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { dirname } from 'node:path';
import type { Config } from '../config/schema.js';
import { asFerryError, FerryError, httpStatusFor } from '../errors.js';
import type { Logger } from '../log.js';
import { readJsonBody } from './body-reader.js';
import { answerClientError } from './client-error.js';
import { EventHub } from './events.js';
import { identify, type Caller } from './identity.js';
import { matchRoute, ROUTES, type RouteContext } from './routes.js';

export interface ApiServerDeps {
  config: () => Config;
  routes: RouteContext;
  /** uid of the process at the other end of the socket (SO_PEERCRED). */
  peerUid: (socket: Socket) => number;
  /** Numeric gid for a group name, or null (the daemon's own group is kept). */
  groupId: (name: string) => number | null;
  log: Logger;
}

export class ApiServer {
  private readonly server: Server;
  private readonly log: Logger;
  private closing = false;
  private readonly sockets = new Set<Socket>();
  private readonly events: EventHub;

  constructor(private readonly deps: ApiServerDeps) {
    this.log = deps.log.child({ component: 'api' });
    this.events = new EventHub({
      queue: deps.routes.queue,
      conditions: deps.routes.conditions,
      config: deps.config,
      identify: (uid) => identify(uid, deps.config().clients),
      log: this.log,
    });
    this.server = createServer({ requestTimeout: 30_000 }, (req, res) => void this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server.on('clientError', (err: Error, socket) => answerClientError(err, socket, this.log));
  }

  async listen(): Promise<string> {
    const cfg = this.deps.config().socket;
    await mkdir(dirname(cfg.path), { recursive: true });
    await rm(cfg.path, { force: true }); // a stale socket from a killed agent
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(cfg.path, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    await chmod(cfg.path, parseInt(cfg.mode, 8));
    if (cfg.group) {
      const gid = this.deps.groupId(cfg.group);
      if (gid === null) this.log.warn({ group: cfg.group }, 'socket group does not exist; keeping the default group');
      // Already ours (the systemd unit's case, where chown is filtered out): nothing to change.
      else if (gid !== process.getegid?.()) await chown(cfg.path, -1, gid).catch((e: Error) => this.log.warn({ err: e.message }, 'cannot set socket group'));
    }
    this.log.info({ socket: cfg.path }, 'listening');
    return cfg.path;
  }

  /** Stops taking requests; open event streams are ended. */
  async close(): Promise<void> {
    this.closing = true;
    this.events.closeAll();
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    for (const s of this.sockets) s.destroySoon?.();
    setTimeout(() => {
      for (const s of this.sockets) s.destroy();
    }, 1000).unref();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let caller: Caller | null = null;
    try {
      if (this.closing) throw new FerryError('SHUTTING_DOWN', 'the agent is shutting down');
      caller = identify(this.deps.peerUid(req.socket), this.deps.config().clients);
      const url = parseTarget(req.url);
      const match = matchRoute(req.method ?? 'GET', url.pathname, [...ROUTES, ...(this.deps.routes.extra ?? [])]);
      if (!match) throw new FerryError('NOT_FOUND', `no route ${req.method} ${url.pathname}`);
      if (match === 'method') throw new FerryError('METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${url.pathname}`);
      const body = match.route.body ? await readJsonBody(req, this.deps.config().socket.maxBodyBytes) : undefined;
      const result = await match.route.handle({ ctx: this.deps.routes, caller, params: match.params, query: url.searchParams, body, req, res, events: this.events });
      if (result === undefined) return; // the handler answered itself (SSE, 204)
      send(res, result.status ?? 200, result.body, result.contentType);
    } catch (e) {
      const err = asFerryError(e);
      const status = httpStatusFor(err.code);
      if (status >= 500 && err.code === 'INTERNAL') this.log.error({ err: err.message, cause: String(err.cause ?? '') }, 'request failed');
      else this.log.debug({ code: err.code, caller: caller?.name }, 'request refused');
      // A body refused for its declared size is still read (and dropped) before the connection goes, up to
      // 16 × the limit: closing at once made the client's write fail (EPIPE) before it could read the 413.
      if (err.code === 'BODY_TOO_LARGE' && Number(req.headers['content-length']) <= 16 * this.deps.config().socket.maxBodyBytes) res.shouldKeepAlive = true;
      if (!res.headersSent) send(res, status, { error: err.toJSON() });
      else res.end();
    }
  }
}

function parseTarget(target: string | undefined): URL {
  try {
    return new URL(target ?? '/', 'http://ferry');
  } catch (e) {
    throw new FerryError('BAD_REQUEST', 'the request target is not a valid path', { cause: e });
  }
}

export function send(res: ServerResponse, status: number, body: unknown, contentType = 'application/json'): void {
  const text = contentType === 'application/json' ? JSON.stringify(body) + '\n' : String(body);
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
