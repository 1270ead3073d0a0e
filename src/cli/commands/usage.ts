// `ferryctl usage [--since ISO] [--by client,network,day]`: the bytes ferry moved (its own count, per
// client, network, interface and day) as a table, then each interface's data-plan counter beside what
// ferry moved on it in the same period, so the operator sees what else used the link.
import { stringOption } from '../args.js';
import { renderTable } from '../format/table.js';
import { formatBytes } from '../format/units.js';
import type { Command } from './command.js';
import { EXIT, printJson } from './command.js';

export interface UsageAnswer {
  usage: Array<{ client: string | null; network: string | null; interface: string | null; day: string | null; rxBytes: number; txBytes: number }>;
  interfaces: Array<{ interface: string; periodStart: string; usedBytes: number; ferryBytes: number; updatedAt: string }>;
}

export function usageLines(u: UsageAnswer): string[] {
  const out: string[] = [];
  if (u.usage.length === 0) out.push('no bytes moved by ferry in that period');
  else {
    const cols = (['day', 'client', 'network', 'interface'] as const).filter((k) => u.usage.some((r) => r[k] !== null));
    const rows = u.usage.map((r) => [...cols.map((k) => (k === 'interface' ? r[k] || '-' : (r[k] ?? ''))), formatBytes(r.rxBytes), formatBytes(r.txBytes), formatBytes(r.rxBytes + r.txBytes)]);
    out.push(renderTable([...cols.map((c) => c.toUpperCase()), 'RECEIVED', 'SENT', 'TOTAL'], rows));
  }
  if (u.interfaces.length > 0) {
    out.push('', 'interface counters (data plan period, every program on the gateway):');
    const rows = u.interfaces.map((i) => [
      i.interface,
      i.periodStart,
      formatBytes(i.usedBytes),
      formatBytes(i.ferryBytes),
      formatBytes(Math.max(0, i.usedBytes - i.ferryBytes)),
    ]);
    out.push(renderTable(['INTERFACE', 'SINCE', 'LINK TOTAL', 'FERRY', 'OTHER'], rows));
  }
  return out;
}

export const usageCommand: Command = {
  name: 'usage',
  summary: 'show the bytes ferry moved per client, network and day, beside the interface totals',
  args: '[--since DATE] [--by client,network,day]',
  options: {
    since: { type: 'string', value: 'DATE', help: 'from this local day on (ISO date or time)' },
    by: { type: 'string', value: 'DIMS', help: 'group by these of client, network, day (comma-separated; default all)' },
  },
  positionals: { min: 0, max: 0 },
  async run({ client, io, json, values }) {
    const q = new URLSearchParams();
    const since = stringOption(values, 'since');
    const by = stringOption(values, 'by');
    if (since !== undefined) q.set('since', since);
    if (by !== undefined) q.set('by', by);
    const qs = q.toString();
    const u = await client.json<UsageAnswer>('GET', `/v1/usage${qs ? `?${qs}` : ''}`);
    if (json) printJson(io, u);
    else io.stdout.write(usageLines(u).join('\n') + '\n');
    return EXIT.OK;
  },
};
