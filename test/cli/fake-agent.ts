// A stand-in for ferryd's control API (API.md) on a temp Unix socket: canned transfers, the error
// body shape, and an SSE stream the test drives with emit(). It records every request it receives.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { ApiTransfer } from '../../src/cli/client.js';
import type { Conditions } from '../../src/conditions/snapshot.js';
import { makeTempDir } from '../support/tmp.js';

const REQUEST_FIELDS = new Set([
  'url', 'method', 'direction', 'path', 'protocol', 'headers', 'preferences', 'constraints',
  'userInitiated', 'expedited', 'sha256', 'retry', 'periodicMinutes', 'tag', 'window',
]);
const RESERVED = new Set(['if-modified-since', 'if-none-match', 'if-range', 'range', 'unless-modified-since']);

export const CONDITIONS: Conditions = {
  network: { kind: 'cellular', interface: 'wwan0', generation: '4g', metered: true, roaming: false },
  power: { source: 'battery', batteryPercent: 62, charging: false },
  dataPlan: { state: 'ok', usedBytes: 123_000_000, limitBytes: 1_000_000_000 },
  storage: { freeBytes: 12_000_000_000, low: false },
  sources: { network: 'networkmanager', modem: 'modemmanager', power: 'sysfs' },
};

export function makeTransfer(over: Partial<ApiTransfer> = {}): ApiTransfer {
  return {
    id: randomUUID(),
    owner: 'tester',
    url: 'https://example.org/fw.bin',
    method: 'GET',
    direction: 'download',
    path: 'fw/fw.bin',
    protocol: 'plain',
    state: 'queued',
    reasons: [],
    bytesTransferred: 0,
    totalBytes: 50_331_648,
    attempts: 0,
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
    error: null,
    warnings: [],
    preferences: 'allowBattery',
    constraints: { unmetered: false, charging: false, batteryNotLow: false, storageNotLow: true },
    userInitiated: false,
    expedited: false,
    tag: null,
    ...over,
  };
}

export interface RecordedRequest {
  method: string;
  url: string;
  body: unknown;
}

export interface FakeAgent {
  socketPath: string;
  transfers: Map<string, ApiTransfer>;
  requests: RecordedRequest[];
  /** Open SSE connections right now. */
  subscribers(): number;
  emit(event: string, data: unknown): void;
  /** Updates a stored transfer and sends it as a `transfer` event. */
  update(id: string, change: Partial<ApiTransfer>): ApiTransfer;
  /** Ends every open event stream, as an agent shutting down would. */
  endStreams(): void;
  close(): Promise<void>;
}

export async function startFakeAgent(opts: { initial?: ApiTransfer[] } = {}): Promise<FakeAgent> {
  const dir = makeTempDir('ferry-cli-');
  const socketPath = join(dir.path, 'ferry.sock');
  const transfers = new Map((opts.initial ?? []).map((t) => [t.id, t] as const));
  const requests: RecordedRequest[] = [];
  const streams = new Set<ServerResponse>();

  const fail = (res: ServerResponse, status: number, code: string, message: string, field?: string): void => {
    send(res, status, { error: field ? { code, message, field } : { code, message } });
  };

  const server: Server = createServer(async (req, res) => {
    const body = await readJson(req);
    const url = req.url ?? '/';
    requests.push({ method: req.method ?? '', url, body });
    if (body === INVALID) return fail(res, 400, 'INVALID_JSON', 'body is not JSON');
    const m = /^\/v1\/transfers\/([^/]+)(?:\/(pause|resume|cancel))?$/.exec(url);
    if (req.method === 'GET' && url === '/v1/health') return send(res, 200, { status: 'ok', version: '0.1.0-test' });
    if (req.method === 'GET' && url === '/v1/conditions') return send(res, 200, CONDITIONS);
    if (req.method === 'GET' && url === '/v1/transfers') return send(res, 200, { transfers: [...transfers.values()] });
    if (req.method === 'POST' && url === '/v1/transfers') return create(res, body);
    if (req.method === 'GET' && url === '/v1/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(': subscribed\n\n');
      streams.add(res);
      res.on('close', () => streams.delete(res));
      return;
    }
    if (m) {
      const t = transfers.get(decodeURIComponent(m[1]!));
      if (!t) return fail(res, 404, 'NOT_FOUND', `no transfer ${m[1]}`);
      if (req.method === 'GET' && !m[2]) return send(res, 200, t);
      if (req.method === 'DELETE' && !m[2]) {
        transfers.delete(t.id);
        res.writeHead(204).end();
        return;
      }
      if (req.method === 'POST' && m[2]) {
        const final = ['completed', 'failed', 'cancelled'].includes(t.state);
        if (final) return fail(res, 409, 'WRONG_STATE', `transfer is ${t.state}`);
        const state = m[2] === 'pause' ? 'paused' : m[2] === 'resume' ? 'queued' : 'cancelled';
        return send(res, 200, agent.update(t.id, { state, reasons: [] }));
      }
    }
    fail(res, 404, 'NOT_FOUND', `no route ${req.method} ${url}`);
  });

  function create(res: ServerResponse, body: unknown): void {
    const b = (body ?? {}) as Record<string, unknown>;
    for (const k of Object.keys(b)) if (!REQUEST_FIELDS.has(k)) return fail(res, 400, 'UNKNOWN_FIELD', `unknown field ${k}`, k);
    if (typeof b['url'] !== 'string') return fail(res, 400, 'INVALID_FIELD', 'url is required', 'url');
    for (const h of Object.keys((b['headers'] as Record<string, string> | undefined) ?? {})) {
      if (RESERVED.has(h.toLowerCase())) return fail(res, 400, 'RESERVED_HEADER', `header ${h} is reserved for the agent`, `headers.${h}`);
    }
    const t = makeTransfer({
      url: b['url'],
      path: typeof b['path'] === 'string' ? b['path'] : 'fw.bin',
      method: typeof b['method'] === 'string' ? b['method'] : 'GET',
      state: 'waiting',
      reasons: [{ code: 'needs-wifi', message: 'waits for Wi-Fi or Ethernet: 50 MB is over the 20 MB cellular cap' }],
      tag: typeof b['tag'] === 'string' ? b['tag'] : null,
    });
    transfers.set(t.id, t);
    send(res, 201, t);
  }

  const agent: FakeAgent = {
    socketPath,
    transfers,
    requests,
    subscribers: () => streams.size,
    emit(event, data) {
      const text = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
      for (const s of streams) s.write(text);
    },
    update(id, change) {
      const t = { ...transfers.get(id)!, ...change, updatedAt: new Date().toISOString() };
      transfers.set(id, t);
      agent.emit('transfer', t);
      return t;
    },
    endStreams() {
      for (const s of streams) s.end();
    },
    async close() {
      for (const s of streams) s.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      dir.cleanup();
    },
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  return agent;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const INVALID = Symbol('invalid json');

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  if (chunks.length === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    return INVALID;
  }
}
