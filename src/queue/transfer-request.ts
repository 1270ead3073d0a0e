// The body of POST /v1/transfers (API.md "Transfer request"): schema-checked (unknown fields rejected,
// each error naming its field), then turned into a stored record with every default filled in.
import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { Config } from '../config/schema.js';
import { FerryError } from '../errors.js';
import { ConstraintsSchema, PreferencesSchema } from '../config/sections/job-fields.js';
import { newJobState, type Direction, type HttpJob, type Method } from '../model/job.js';
import { checkEnqueue } from '../policy/decide.js';
import { attemptsField, minutesField, retryDelayField } from '../config/sections/ranges.js';
import { checkHeaders, checkUrl, resolveInsideRoot } from '../transfer/request-checks.js';
import { checkNoControls, checkWellFormed } from './text-checks.js';

const lit = <T extends string>(...v: T[]) => Type.Union(v.map((x) => Type.Literal(x)));

export const TransferRequestSchema = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 8192 }),
    method: Type.Optional(lit('GET', 'POST', 'PUT')),
    direction: Type.Optional(lit('download', 'upload')),
    path: Type.String({ minLength: 1, maxLength: 4096 }),
    protocol: Type.Optional(lit('plain', 'tus')),
    headers: Type.Optional(Type.Record(Type.String(), Type.String())),
    preferences: Type.Optional(PreferencesSchema()),
    constraints: Type.Optional(ConstraintsSchema),
    userInitiated: Type.Optional(Type.Boolean()),
    expedited: Type.Optional(Type.Boolean()),
    sha256: Type.Optional(Type.Union([Type.String({ pattern: '^[0-9a-fA-F]{64}$' }), Type.Null()])),
    retry: Type.Optional(
      Type.Object(
        {
          backoff: Type.Optional(lit('exponential', 'linear')),
          initialDelayS: Type.Optional(retryDelayField()),
          maxDelayS: Type.Optional(retryDelayField()),
          maxAttempts: Type.Optional(attemptsField()),
        },
        { additionalProperties: false },
      ),
    ),
    periodicMinutes: Type.Optional(Type.Union([minutesField(), Type.Null()])),
    tag: Type.Optional(Type.Union([Type.String({ maxLength: 1024 }), Type.Null()])),
    window: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()])),
  },
  { additionalProperties: false },
);

export type TransferRequest = Static<typeof TransferRequestSchema>;

/** Schema errors → one FerryError naming the first bad field (all of them in the message). */
export function parseTransferRequest(body: unknown): TransferRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new FerryError('BAD_REQUEST', 'the body must be a JSON object');
  }
  // Other ways in (the fleet bridge, device triggers) do not pass the socket's body reader.
  checkWellFormed(body);
  const errors = [...Value.Errors(TransferRequestSchema, body)];
  if (errors.length === 0) {
    const req = body as TransferRequest;
    checkNoControls(req.url, 'url');
    checkNoControls(req.path, 'path');
    checkNoControls(req.tag, 'tag');
    return req;
  }
  const first = errors[0]!;
  const field = first.path.slice(1).replace(/\//g, '.') || '(body)';
  const unknown = /Unexpected property/.test(first.message);
  const msgs = [...new Set(errors.map((e) => `${e.path.slice(1).replace(/\//g, '.') || '(body)'}: ${/Unexpected property/.test(e.message) ? 'unknown field' : e.message}`))];
  throw new FerryError(unknown ? 'UNKNOWN_FIELD' : 'INVALID_FIELD', msgs.join('; '), { field });
}

function methodAndDirection(req: TransferRequest): { method: Method; direction: Direction } {
  const method = req.method ?? (req.direction === 'upload' ? 'PUT' : 'GET');
  if (method === 'GET') {
    if (req.direction === 'upload') throw new FerryError('INVALID_FIELD', 'GET downloads; use PUT or POST to upload', { field: 'direction' });
    return { method, direction: 'download' };
  }
  if (method === 'PUT') {
    if (req.direction === 'download') throw new FerryError('INVALID_FIELD', 'PUT uploads; use GET or POST to download', { field: 'direction' });
    return { method, direction: 'upload' };
  }
  if (!req.direction) throw new FerryError('INVALID_FIELD', 'POST needs "direction": "download" or "upload"', { field: 'direction' });
  return { method, direction: req.direction };
}

/** Validates everything that can be known at enqueue and builds the record (state `queued`). */
export async function buildTransfer(body: unknown, owner: string, cfg: Config, now: Date): Promise<HttpJob> {
  const req = parseTransferRequest(body);
  checkUrl(req.url);
  const headers = req.headers ?? {};
  checkHeaders(headers);
  const { method, direction } = methodAndDirection(req);
  const protocol = req.protocol ?? 'plain';
  if (protocol === 'tus' && direction !== 'upload') {
    throw new FerryError('INVALID_FIELD', 'the tus protocol is for uploads', { field: 'protocol' });
  }
  const { abs, rel } = await resolveInsideRoot(cfg.transfersRoot, req.path);
  let totalBytes: number | null = null;
  if (direction === 'upload') {
    const st = await stat(abs).catch(() => null);
    if (!st || !st.isFile()) throw new FerryError('FILE_NOT_FOUND', `no file to upload at ${rel}`, { field: 'path' });
    totalBytes = st.size;
  }
  if (req.periodicMinutes != null && req.periodicMinutes < cfg.policy.periodicMinMinutes) {
    throw new FerryError('INVALID_FIELD', `periodicMinutes must be at least ${cfg.policy.periodicMinMinutes}`, { field: 'periodicMinutes' });
  }
  if (req.window != null && !Object.hasOwn(cfg.policy.windows, req.window)) {
    throw new FerryError('INVALID_FIELD', `no window "${req.window}" in policy.windows`, { field: 'window' });
  }
  const d = cfg.transfers.defaultRetry;
  const iso = now.toISOString();
  const t: HttpJob = {
    id: randomUUID(),
    kind: 'http',
    owner,
    url: req.url,
    method,
    direction,
    path: rel,
    protocol,
    headers,
    preferences: req.preferences ?? 'allowBattery',
    constraints: {
      unmetered: req.constraints?.unmetered ?? false,
      charging: req.constraints?.charging ?? false,
      batteryNotLow: req.constraints?.batteryNotLow ?? false,
      storageNotLow: req.constraints?.storageNotLow ?? true,
    },
    userInitiated: req.userInitiated ?? false,
    expedited: req.expedited ?? false,
    sha256: req.sha256 ? req.sha256.toLowerCase() : null,
    retry: {
      backoff: req.retry?.backoff ?? d.backoff,
      initialDelayS: req.retry?.initialDelayS ?? d.initialDelayS,
      maxDelayS: req.retry?.maxDelayS ?? d.maxDelayS,
      maxAttempts: req.retry?.maxAttempts ?? d.maxAttempts,
    },
    periodicMinutes: req.periodicMinutes ?? null,
    tag: req.tag ?? null,
    window: req.window ?? null,
    ...newJobState(iso),
    totalBytes,
  };
  const rejected = checkEnqueue(t, cfg.policy);
  if (rejected) throw new FerryError('POLICY_REJECTED', rejected.message, { field: direction === 'upload' ? 'path' : 'url' });
  return t;
}
