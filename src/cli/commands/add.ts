// `ferryctl add URL [PATH] …`: builds a transfer request (API.md "Transfer request") from flags,
// POSTs it, and with --wait follows it to its end (exit 0 completed, 1 failed/cancelled).
// Only what the user set is sent, so the agent's defaults apply to everything else.
import { UsageError, choiceOption, flagOption, stringOption, stringsOption, type OptionValues } from '../args.js';
import { PREFERENCES } from '../../model/job.js';
import type { TransferRequest } from '../client.js';
import { noteWords } from '../format/transfer.js';
import type { Command } from './command.js';
import { EXIT, printJson } from './command.js';
import { subscribe } from './follow.js';

const CONSTRAINT_FLAGS = {
  unmetered: 'unmetered',
  charging: 'charging',
  'battery-not-low': 'batteryNotLow',
  'storage-not-low': 'storageNotLow',
} as const;

export const addCommand: Command = {
  name: 'add',
  summary: 'queue a transfer (download by default)',
  args: 'URL [PATH] [options]',
  details: [
    'PATH is where the file goes (or comes from), relative to the transfers root.',
    "--upload FILE sends FILE (method PUT unless --method says otherwise).",
    'Examples:',
    '  ferryctl add https://example.org/fw.bin fw/fw.bin --preferences allowCellular --wait',
    "  ferryctl add https://example.org/up --upload logs/today.tar --protocol tus -H 'x-token: abc'",
  ],
  options: {
    method: { type: 'string', value: 'M', help: 'GET (download), PUT (upload) or POST (needs --direction)' },
    direction: { type: 'string', value: 'D', help: 'download or upload' },
    upload: { type: 'string', value: 'FILE', help: 'upload FILE instead of downloading' },
    protocol: { type: 'string', value: 'P', help: 'plain or tus (resumable upload)' },
    header: { type: 'string', short: 'H', multiple: true, value: "'K: V'", help: 'request header' },
    preferences: { type: 'string', value: 'P', help: 'none, allowCellular, allowBattery or allowCellularAndBattery' },
    unmetered: { type: 'boolean', help: 'only on an unmetered network' },
    charging: { type: 'boolean', help: 'only while charging' },
    'battery-not-low': { type: 'boolean', help: 'only while the battery is not low' },
    'storage-not-low': { type: 'boolean', help: 'only while storage is not low' },
    'user-initiated': { type: 'boolean', help: 'a person is waiting for it: start at once when allowed' },
    expedited: { type: 'boolean', help: 'run ahead of ordinary work' },
    sha256: { type: 'string', value: 'HEX', help: 'expected SHA-256 of the file' },
    tag: { type: 'string', value: 'T', help: 'any string for your own bookkeeping' },
    window: { type: 'string', value: 'NAME', help: 'run only inside this window of policy.windows' },
    wait: { type: 'boolean', help: 'follow it until it ends: exit 0 completed, 1 failed or cancelled' },
  },
  positionals: { min: 1, max: 2 },
  async run(ctx) {
    const req = buildRequest(ctx.positionals, ctx.values);
    if (!flagOption(ctx.values, 'wait')) {
      const t = await ctx.client.addTransfer(req);
      if (ctx.json) printJson(ctx.io, t);
      else {
        const note = noteWords(t);
        ctx.io.stdout.write(`added ${t.id} (${t.state}${note ? `: ${note}` : ''})\n`);
      }
      return EXIT.OK;
    }
    const session = await subscribe(ctx);
    return session.run(async () => {
      const t = await ctx.client.addTransfer(req);
      if (!ctx.json) ctx.io.stdout.write(`added ${t.id}\n`);
      return { initial: [t], id: t.id, showConditions: false };
    });
  },
};

export function buildRequest(positionals: readonly string[], values: OptionValues): TransferRequest {
  const [url, path] = positionals;
  if (url === undefined) throw new UsageError('missing URL', 'add');
  const req: TransferRequest = { url };
  const upload = stringOption(values, 'upload');
  if (upload !== undefined && path !== undefined) {
    throw new UsageError('give either PATH or --upload FILE, not both', 'add');
  }
  const method = choiceOption(values, 'method', ['GET', 'POST', 'PUT'], 'add');
  let direction = choiceOption(values, 'direction', ['download', 'upload'], 'add');
  if (upload !== undefined) {
    if (method === 'GET') throw new UsageError('--upload cannot be combined with --method GET', 'add');
    if (direction === 'download') throw new UsageError('--upload cannot be combined with --direction download', 'add');
    direction = 'upload';
    req.path = upload;
    req.method = method ?? 'PUT';
  } else {
    if (path !== undefined) req.path = path;
    if (method !== undefined) req.method = method;
  }
  if (direction !== undefined) req.direction = direction;
  const protocol = choiceOption(values, 'protocol', ['plain', 'tus'], 'add');
  if (protocol !== undefined) req.protocol = protocol;
  const headers = parseHeaders(stringsOption(values, 'header'));
  if (headers) req.headers = headers;
  const prefs = choiceOption(values, 'preferences', PREFERENCES, 'add');
  if (prefs !== undefined) req.preferences = prefs;
  const constraints: NonNullable<TransferRequest['constraints']> = {};
  for (const [flag, key] of Object.entries(CONSTRAINT_FLAGS)) if (flagOption(values, flag)) constraints[key] = true;
  if (Object.keys(constraints).length > 0) req.constraints = constraints;
  if (flagOption(values, 'user-initiated')) req.userInitiated = true;
  if (flagOption(values, 'expedited')) req.expedited = true;
  const sha = stringOption(values, 'sha256');
  if (sha !== undefined) {
    if (!/^[0-9a-fA-F]{64}$/.test(sha)) throw new UsageError('--sha256 must be 64 hex digits', 'add');
    req.sha256 = sha.toLowerCase();
  }
  const tag = stringOption(values, 'tag');
  if (tag !== undefined) req.tag = tag;
  const window = stringOption(values, 'window');
  if (window !== undefined) req.window = window;
  return req;
}

/** 'Name: value' pairs; the agent judges names and values (reserved, CR/LF), this only splits them. */
function parseHeaders(raw: readonly string[]): Record<string, string> | undefined {
  if (raw.length === 0) return undefined;
  const out: Record<string, string> = {};
  const seen = new Set<string>();
  for (const h of raw) {
    const colon = h.indexOf(':');
    const name = colon === -1 ? '' : h.slice(0, colon).trim();
    if (name === '') throw new UsageError(`--header must look like 'Name: value' (got '${h}')`, 'add');
    if (seen.has(name.toLowerCase())) throw new UsageError(`header ${name} given twice`, 'add');
    seen.add(name.toLowerCase());
    out[name] = h.slice(colon + 1).trim();
  }
  return out;
}
