// GET /v1/usage (what ferry itself moved, per client/network/interface/day, beside the interfaces'
// own data-plan counters) and the usage counters of /v1/metrics. A client sees its own rows; an admin all.
import { FerryError } from '../errors.js';
import type { UsageLedger, UsageRow } from '../queue/usage-ledger.js';
import type { UsageRecord } from '../queue/usage-store.js';
import type { Route } from './routes.js';

export interface UsageRouteDeps {
  ledger: UsageLedger;
  /** Data-plan counters per interface (bytes the interface moved in its plan period, all programs). */
  interfaces: () => UsageRecord[];
  /** Local day of an instant. */
  dayOf: (ms: number) => string;
}

const DIMS = ['client', 'network', 'day'] as const;
type Dim = (typeof DIMS)[number];

export type UsageView = Omit<UsageRow, 'client' | 'network' | 'interface' | 'day'> & {
  client: string | null;
  network: string | null;
  interface: string | null;
  day: string | null;
};

function parseBy(v: string | null): Set<Dim> {
  if (v === null || v === '') return new Set(DIMS);
  const out = new Set<Dim>();
  for (const raw of v.split(',')) {
    const d = raw.trim() === 'kind' ? 'network' : raw.trim();
    if (!(DIMS as readonly string[]).includes(d)) throw new FerryError('INVALID_FIELD', `by: "${raw}" is not one of client, network (kind), day`, { field: 'by' });
    out.add(d as Dim);
  }
  return out;
}

/** Sums rows over the dimensions not in `by` (those read null); `network` keeps the interface. */
export function aggregateUsage(rows: UsageRow[], by: Set<Dim>): UsageView[] {
  const out = new Map<string, UsageView>();
  for (const r of rows) {
    const v: UsageView = {
      client: by.has('client') ? r.client : null,
      network: by.has('network') ? r.network : null,
      interface: by.has('network') ? r.interface : null,
      day: by.has('day') ? r.day : null,
      rxBytes: r.rxBytes,
      txBytes: r.txBytes,
    };
    const k = `${v.client}\0${v.network}\0${v.interface}\0${v.day}`;
    const o = out.get(k);
    if (o) {
      o.rxBytes += v.rxBytes;
      o.txBytes += v.txBytes;
    } else out.set(k, v);
  }
  const key = (v: UsageView) => `${v.day ?? ''}\0${v.client ?? ''}\0${v.network ?? ''}\0${v.interface ?? ''}`;
  return [...out.values()].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

export function usageRoutes(deps: UsageRouteDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/usage',
      handle: ({ caller, query }) => {
        const sinceRaw = query.get('since');
        let sinceDay: string | null = null;
        if (sinceRaw !== null) {
          const ms = Date.parse(sinceRaw);
          if (Number.isNaN(ms)) throw new FerryError('INVALID_FIELD', `since: "${sinceRaw}" is not an ISO date or time`, { field: 'since' });
          sinceDay = deps.dayOf(ms);
        }
        const by = parseBy(query.get('by'));
        const all = deps.ledger.rows(sinceDay);
        const mine = caller.admin ? all : all.filter((r) => r.client === caller.name);
        // Beside each interface's own counter: what ferry (every client) moved on it in the same period.
        const interfaces = deps.interfaces().map((i) => ({
          interface: i.interface,
          periodStart: i.periodStart,
          usedBytes: i.usedBytes,
          ferryBytes: deps.ledger
            .rows(i.periodStart)
            .filter((r) => r.interface === i.interface)
            .reduce((n, r) => n + r.rxBytes + r.txBytes, 0),
          updatedAt: new Date(i.updatedAt).toISOString(),
        }));
        return { status: 200, body: { usage: aggregateUsage(mine, by), interfaces } };
      },
    },
  ];
}

const label = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** Prometheus counters: every byte ferry moved since its database was created, by client, network, interface. */
export function renderUsageMetrics(ledger: UsageLedger): string {
  const rows = aggregateUsage(ledger.rows(null), new Set(['client', 'network']));
  const out = ['# HELP ferry_usage_bytes_total HTTP body bytes ferry moved on the wire (rx received, tx sent).', '# TYPE ferry_usage_bytes_total counter'];
  for (const r of rows) {
    const l = `client="${label(r.client ?? '')}",network="${label(r.network ?? '')}",interface="${label(r.interface ?? '')}"`;
    out.push(`ferry_usage_bytes_total{${l},direction="rx"} ${r.rxBytes}`, `ferry_usage_bytes_total{${l},direction="tx"} ${r.txBytes}`);
  }
  return out.join('\n') + '\n';
}
