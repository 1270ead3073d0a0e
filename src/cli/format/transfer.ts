// Words for transfers: the `ls` table row, the `show` block and one-line summaries used by watch.
// Reasons are shown by their `message` (the policy's sentence), never re-worded here.
import { isFinal } from '../../model/job.js';
import type { ApiTransfer } from '../client.js';
import { renderTable } from './table.js';
import { formatBytes, percentOf } from './units.js';

/** Enough of the id to tell transfers apart in a listing; commands accept such prefixes back. */
export function shortId(id: string): string {
  return id.length > 8 ? id.slice(0, 8) : id;
}

export function progressPercent(t: Pick<ApiTransfer, 'state' | 'bytesTransferred' | 'totalBytes'>): string {
  if (t.state === 'completed') return '100 %';
  const p = percentOf(t.bytesTransferred, t.totalBytes);
  return p === null ? '-' : `${p} %`;
}

/** "12 MB of 48 MB (25 %)", or "12 MB of unknown size". */
export function progressWords(t: Pick<ApiTransfer, 'state' | 'bytesTransferred' | 'totalBytes'>): string {
  if (t.totalBytes === null || t.totalBytes === undefined) return `${formatBytes(t.bytesTransferred)} of unknown size`;
  return `${formatBytes(t.bytesTransferred)} of ${formatBytes(t.totalBytes)} (${progressPercent(t)})`;
}

/** Why it is where it is, in the policy's words: the reasons, else the error, else the last failed attempt. */
export function noteWords(t: ApiTransfer): string {
  if (t.error) return `${t.error.code}: ${t.error.message}`;
  if (t.reasons.length > 0) return t.reasons.map((r) => r.message).join('; ');
  if (t.lastError && t.state !== 'completed') return `last attempt: ${t.lastError.message}`;
  return '';
}

export function transferTable(transfers: readonly ApiTransfer[]): string {
  const rows = transfers.map((t) => [
    shortId(t.id),
    t.state,
    progressPercent(t),
    formatBytes(t.totalBytes),
    t.path,
    noteWords(t),
  ]);
  return renderTable(['ID', 'STATE', 'PROGRESS', 'SIZE', 'PATH', 'REASONS'], rows);
}

function constraintWords(c: ApiTransfer['constraints'] | undefined): string {
  if (!c) return 'none';
  const on = [
    c.unmetered && 'unmetered network',
    c.charging && 'charging',
    c.batteryNotLow && 'battery not low',
    c.storageNotLow && 'storage not low',
  ].filter((x): x is string => typeof x === 'string');
  return on.length > 0 ? on.join(', ') : 'none';
}

/** The `show` block: one "label  value" line each, lists indented under their label. */
export function transferBlock(t: ApiTransfer): string {
  const lines: [string, string][] = [
    ['id', t.id],
    ['state', t.state],
    ['url', t.url],
    ['path', t.path],
    ['direction', `${t.direction} (${t.method}${t.protocol && t.protocol !== 'plain' ? `, ${t.protocol}` : ''})`],
    ['progress', progressWords(t)],
    ['attempts', String(t.attempts)],
    ['preferences', t.preferences],
    ['constraints', constraintWords(t.constraints)],
  ];
  const flags = [t.userInitiated && 'user-initiated', t.expedited && 'expedited'].filter((x): x is string => !!x);
  if (flags.length > 0) lines.push(['priority', flags.join(', ')]);
  if (t.tag) lines.push(['tag', t.tag]);
  if (t.nextAttemptAt && !isFinal(t.state)) lines.push(['next try', t.nextAttemptAt]);
  lines.push(['created', t.createdAt], ['updated', t.updatedAt]);
  const width = 13;
  const out = lines.map(([k, v]) => `${k.padEnd(width)}${v}`);
  const list = (label: string, items: string[]): void => {
    if (items.length === 0) return;
    out.push(label);
    for (const i of items) out.push(`  - ${i}`);
  };
  list('reasons', t.reasons.map((r) => r.message));
  list('warnings', t.warnings.map((w) => w.message));
  if (t.error) out.push(`${'error'.padEnd(width)}${t.error.code}: ${t.error.message}`);
  else if (t.lastError && !isFinal(t.state)) out.push(`${'last error'.padEnd(width)}${t.lastError.code}: ${t.lastError.message}`);
  return out.join('\n');
}

/** "3f2a1b4c waiting: waits for Wi-Fi…" — the plain line printed on each state change. */
export function stateLine(t: ApiTransfer): string {
  const note = noteWords(t);
  const size = t.state === 'completed' ? ` (${formatBytes(t.bytesTransferred)})` : '';
  return `${shortId(t.id)} ${t.state}${size}${note ? `: ${note}` : ''}`;
}
