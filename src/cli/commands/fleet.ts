// `ferryctl fleet`: the MQTT bridge's state (GET /v1/fleet) and the fleet jobs the agent holds.
import { renderTable } from '../format/table.js';
import { formatBytes } from '../format/units.js';
import type { Command } from './command.js';
import { EXIT, printJson } from './command.js';

export interface ApiFleetJob {
  job: string;
  state: string;
  source: string;
  transfers: string[];
  error: { code: string; message: string } | null;
  notBefore: string | null;
  notAfter: string | null;
  updatedAt: string;
}

export interface ApiFleet {
  state: string;
  since: string | null;
  lastError: string | null;
  broker?: string;
  gatewayId?: string;
  groups?: string[];
  bytes?: { sent: number; received: number };
  outbox?: number;
  jobs: ApiFleetJob[];
}

/** One line for `ferryctl health` and the head of `ferryctl fleet`. */
export function fleetLine(f: Pick<ApiFleet, 'state' | 'since' | 'lastError'>): string {
  if (f.state === 'disabled') return 'fleet: disabled (no fleet.mqtt in the config)';
  return `fleet: ${f.state} since ${f.since}${f.lastError ? ` (last error: ${f.lastError})` : ''}`;
}

export const fleetCommand: Command = {
  name: 'fleet',
  summary: 'show the MQTT fleet bridge: broker connection and the jobs it holds',
  args: '',
  options: {},
  positionals: { min: 0, max: 0 },
  async run({ client, io, json }) {
    const f = await client.json<ApiFleet>('GET', '/v1/fleet');
    if (json) {
      printJson(io, f);
      return EXIT.OK;
    }
    io.stdout.write(fleetLine(f) + '\n');
    if (f.state === 'disabled') return EXIT.OK;
    io.stdout.write(`gateway ${f.gatewayId} on ${f.broker}; groups: ${f.groups?.length ? f.groups.join(', ') : 'none'}\n`);
    io.stdout.write(`MQTT traffic: ${formatBytes(f.bytes?.sent ?? 0)} sent, ${formatBytes(f.bytes?.received ?? 0)} received; ${f.outbox ?? 0} status message(s) awaiting the broker\n`);
    if (f.jobs.length === 0) {
      io.stdout.write('no fleet jobs\n');
      return EXIT.OK;
    }
    const rows = f.jobs.map((j) => [j.job, j.state, String(j.transfers.length), j.source, j.error ? j.error.code : '', j.updatedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')]);
    io.stdout.write('\n' + renderTable(['JOB', 'STATE', 'TRANSFERS', 'FROM', 'ERROR', 'UPDATED'], rows) + '\n');
    return EXIT.OK;
  },
};
