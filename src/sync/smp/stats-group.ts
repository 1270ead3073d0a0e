// Statistics group (2): list the stat groups a device keeps and read one group's counters.
import type { RequestOptions, SmpRequester } from './smp-requester.js';
import { SmpGroup } from './smp-errors.js';

export interface StatGroupValues {
  name: string;
  fields: Record<string, number>;
}

export class StatsGroup {
  constructor(private readonly client: SmpRequester) {}

  async list(opts?: RequestOptions): Promise<string[]> {
    const rsp = await this.client.request('read', SmpGroup.STAT, 1, {}, opts);
    return Array.isArray(rsp.stat_list) ? rsp.stat_list.map(String) : [];
  }

  async read(name: string, opts?: RequestOptions): Promise<StatGroupValues> {
    const rsp = await this.client.request('read', SmpGroup.STAT, 0, { name }, opts);
    const fields: Record<string, number> = {};
    const raw = rsp.fields;
    if (raw && typeof raw === 'object') {
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) fields[k] = Number(v);
    }
    return { name: String(rsp.name ?? name), fields };
  }
}
