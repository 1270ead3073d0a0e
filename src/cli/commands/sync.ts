// `ferryctl sync ID [--wait]`: asks the agent to sync a device now (POST /v1/devices/{id}/sync) and
// lists the jobs it queued; with --wait, follows them until they are all finished.
import { flagOption } from '../args.js';
import type { ApiTransfer } from '../client.js';
import { noteWords, shortId } from '../format/transfer.js';
import { isFinal } from '../../model/job.js';
import type { Command } from './command.js';
import { EXIT, printJson } from './command.js';

interface SyncAnswer {
  device: string;
  transfers: ApiTransfer[];
  rotated: string | null;
}

export const syncCommand: Command = {
  name: 'sync',
  summary: 'sync a device now (queue its pulls and pushes; a lines device closes its spool file)',
  args: 'ID [--wait]',
  options: { wait: { type: 'boolean', help: 'wait until the queued jobs are finished; exit 1 if one failed' } },
  positionals: { min: 1, max: 1 },
  async run({ client, io, json, positionals, values }) {
    const id = positionals[0]!;
    const r = await client.json<SyncAnswer>('POST', `/v1/devices/${encodeURIComponent(id)}/sync`, {});
    let transfers = r.transfers;
    if (flagOption(values, 'wait')) transfers = await waitAll(client, transfers, io.signal);
    if (json) printJson(io, { ...r, transfers });
    else {
      if (r.rotated) io.stdout.write(`${id}: spool file ${r.rotated} closed\n`);
      if (transfers.length === 0 && !r.rotated) io.stdout.write(`${id}: nothing to do\n`);
      for (const t of transfers) {
        const note = noteWords(t);
        io.stdout.write(`${shortId(t.id)} ${t.direction === 'download' ? 'pull' : 'push'} ${t.url} ${t.state}${note ? `: ${note}` : ''}\n`);
      }
    }
    const failed = transfers.some((t) => t.state === 'failed' || t.state === 'cancelled');
    return failed ? EXIT.AGENT_ERROR : EXIT.OK;
  },
};

async function waitAll(client: Parameters<Command['run']>[0]['client'], list: ApiTransfer[], signal?: AbortSignal): Promise<ApiTransfer[]> {
  let current = list;
  while (current.some((t) => !isFinal(t.state)) && !signal?.aborted) {
    await new Promise((r) => setTimeout(r, 500));
    current = await Promise.all(current.map((t) => (isFinal(t.state) ? t : client.getTransfer(t.id))));
  }
  return current;
}
