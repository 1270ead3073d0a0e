// Client of the control API (API.md): HTTP/1.1 + JSON over the agent's Unix socket, and an SSE reader
// for GET /v1/events. Every failure leaves as AgentError (the agent answered non-2xx) or
// AgentUnreachableError (no answer at all), so the CLI can map it to an exit status in one place.
import { request, type IncomingMessage } from 'node:http';
import type { Constraints } from '../model/job.js';
import type { PublicTransfer } from '../model/public-transfer.js';
import type { Conditions } from '../conditions/snapshot.js';
import { SseParser, type ApiEvent } from './sse-parser.js';

export { SseParser, type ApiEvent };

/** A transfer as the API serves it: the model's public view, one definition for agent and client. */
export type ApiTransfer = PublicTransfer;

export interface TransferRequest {
  url: string;
  method?: string;
  direction?: string;
  path?: string;
  protocol?: string;
  headers?: Record<string, string>;
  preferences?: string;
  constraints?: Partial<Constraints>;
  userInitiated?: boolean;
  expedited?: boolean;
  sha256?: string;
  tag?: string;
  window?: string;
}

export interface Health {
  status: string;
  version: string;
}

/** The agent answered with a non-2xx status; code/message/field come from its error body. */
export class AgentError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field: string | undefined,
    /** The parsed error body, printed as-is by `--json`. */
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'AgentError';
  }
}

/** Nothing answered on the socket: `reason` says why in words, `errno` is the system code if any. */
export class AgentUnreachableError extends Error {
  constructor(
    readonly socketPath: string,
    readonly reason: string,
    readonly errno: string | undefined,
    opts: { cause?: unknown } = {},
  ) {
    super(`cannot reach ferryd at ${socketPath}: ${reason}`, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AgentUnreachableError';
  }
}

export interface ClientOptions {
  socketPath: string;
  /** Per request, until the response head arrives (not applied to the event stream). */
  timeoutMs?: number;
}

export interface ApiResponse<T> {
  status: number;
  body: T;
}

export class FerryClient {
  readonly socketPath: string;
  private readonly timeoutMs: number;

  constructor(opts: ClientOptions) {
    this.socketPath = opts.socketPath;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  health(): Promise<Health> {
    return this.json<Health>('GET', '/v1/health');
  }
  conditions(): Promise<Conditions> {
    return this.json<Conditions>('GET', '/v1/conditions');
  }
  async listTransfers(): Promise<ApiTransfer[]> {
    return (await this.json<{ transfers: ApiTransfer[] }>('GET', '/v1/transfers')).transfers;
  }
  getTransfer(id: string): Promise<ApiTransfer> {
    return this.json<ApiTransfer>('GET', `/v1/transfers/${encodeURIComponent(id)}`);
  }
  addTransfer(req: TransferRequest): Promise<ApiTransfer> {
    return this.json<ApiTransfer>('POST', '/v1/transfers', req);
  }
  act(id: string, action: 'pause' | 'resume' | 'cancel'): Promise<ApiTransfer> {
    return this.json<ApiTransfer>('POST', `/v1/transfers/${encodeURIComponent(id)}/${action}`);
  }
  async removeTransfer(id: string): Promise<void> {
    await this.call('DELETE', `/v1/transfers/${encodeURIComponent(id)}`);
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await this.call<T>(method, path, body)).body;
  }

  /** One request; resolves with the parsed body of a 2xx answer, rejects with AgentError otherwise. */
  async call<T>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
    const res = await this.open(method, path, body, { timeout: true });
    const text = await readBody(res, this.socketPath);
    const status = res.statusCode ?? 0;
    const parsed = text === '' ? null : tryParse(text);
    if (status < 200 || status > 299) throw agentErrorFrom(status, parsed, text);
    if (parsed === undefined) {
      throw new AgentError(status, 'INVALID_JSON', `the agent answered ${status} with a body that is not JSON`, undefined, null);
    }
    return { status, body: parsed as T };
  }

  /**
   * Subscribes to GET /v1/events. Resolves once the agent has accepted the subscription (so a read
   * made afterwards cannot miss a change), with the events until the stream ends or `signal` aborts.
   */
  async events(signal?: AbortSignal): Promise<AsyncIterable<ApiEvent>> {
    const res = await this.open('GET', '/v1/events', undefined, { timeout: true, accept: 'text/event-stream', signal });
    const status = res.statusCode ?? 0;
    if (status < 200 || status > 299) {
      const text = await readBody(res, this.socketPath);
      throw agentErrorFrom(status, text === '' ? null : tryParse(text), text);
    }
    return readEvents(res, this.socketPath, signal);
  }

  private open(
    method: string,
    path: string,
    body: unknown,
    opts: { timeout: boolean; accept?: string; signal?: AbortSignal | undefined },
  ): Promise<IncomingMessage> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string | number> = { host: 'ferry', accept: opts.accept ?? 'application/json' };
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = payload.length;
    }
    return new Promise((resolve, reject) => {
      // agent:false: one connection per request, so nothing keeps a short-lived CLI process alive.
      const req = request({ socketPath: this.socketPath, method, path, headers, agent: false, signal: opts.signal });
      let timer: NodeJS.Timeout | undefined;
      if (opts.timeout) {
        timer = setTimeout(() => req.destroy(new TimeoutError(this.timeoutMs)), this.timeoutMs);
      }
      req.on('response', (res) => {
        clearTimeout(timer);
        resolve(res);
      });
      req.on('error', (e) => {
        clearTimeout(timer);
        reject(unreachable(this.socketPath, e));
      });
      req.end(payload);
    });
  }
}

async function* readEvents(res: IncomingMessage, socketPath: string, signal: AbortSignal | undefined): AsyncGenerator<ApiEvent> {
  const parser = new SseParser();
  res.setEncoding('utf8');
  try {
    for await (const chunk of res as AsyncIterable<string>) {
      for (const ev of parser.push(chunk)) yield ev;
    }
  } catch (e) {
    if (signal?.aborted) return;
    throw unreachable(socketPath, e);
  } finally {
    res.destroy();
  }
}

class TimeoutError extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${Math.round(ms / 1000)} s`);
  }
}

function readBody(res: IncomingMessage, socketPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', (e) => reject(unreachable(socketPath, e)));
    res.on('aborted', () => reject(unreachable(socketPath, new Error('the agent closed the connection mid-answer'))));
  });
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function agentErrorFrom(status: number, parsed: unknown, text: string): AgentError {
  const err = (parsed as { error?: { code?: unknown; message?: unknown; field?: unknown } } | null | undefined)?.error;
  if (err && typeof err.code === 'string') {
    const message = typeof err.message === 'string' ? err.message : err.code;
    const field = typeof err.field === 'string' ? err.field : undefined;
    return new AgentError(status, err.code, message, field, parsed);
  }
  // Not the API's error shape (a proxy, an older agent): keep the status and a bit of the body.
  const snippet = text.trim().slice(0, 200);
  const message = `the agent answered HTTP ${status}${snippet ? `: ${snippet}` : ''}`;
  return new AgentError(status, 'HTTP_STATUS', message, undefined, { error: { code: 'HTTP_STATUS', message } });
}

/** Why the socket did not answer, in the words an operator needs to fix it. */
export function unreachable(socketPath: string, e: unknown): AgentUnreachableError {
  if (e instanceof AgentUnreachableError) return e;
  if (e instanceof TimeoutError) return new AgentUnreachableError(socketPath, e.message, 'ETIMEDOUT', { cause: e });
  const errno = (e as NodeJS.ErrnoException | undefined)?.code;
  const reasons: Record<string, string> = {
    ENOENT: 'no socket there (is ferryd running? is the path right?)',
    ECONNREFUSED: 'connection refused (ferryd is not running; the socket file is stale)',
    EACCES: 'permission denied (is your user in the group that owns the socket?)',
    EPERM: 'permission denied',
    ENOTSOCK: 'the path is not a socket',
    ENOTDIR: 'a part of the path is not a directory',
    ECONNRESET: 'the agent closed the connection',
    EPIPE: 'the agent closed the connection',
  };
  const reason = (errno && reasons[errno]) ?? (e instanceof Error ? e.message : String(e));
  return new AgentUnreachableError(socketPath, reason, errno, { cause: e });
}
