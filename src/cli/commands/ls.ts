// `ferryctl ls [--state S[,S…]]`: the caller's transfers as an aligned table (filtered here:
// the API lists them all).
import { UsageError, stringOption } from '../args.js';
import { transferTable } from '../format/transfer.js';
import type { Command } from './command.js';
import { EXIT, printJson } from './command.js';

export const STATES = ['queued', 'waiting', 'running', 'paused', 'completed', 'failed', 'cancelled'] as const;

export const lsCommand: Command = {
  name: 'ls',
  summary: 'list transfers',
  args: '[--state S[,S…]]',
  options: {
    state: { type: 'string', value: 'S', help: `only transfers in these states (${STATES.join(', ')}), comma-separated` },
  },
  positionals: { min: 0, max: 0 },
  async run({ client, io, json, values }) {
    const wanted = parseStates(stringOption(values, 'state'));
    let transfers = await client.listTransfers();
    if (wanted) transfers = transfers.filter((t) => wanted.has(t.state));
    if (json) printJson(io, { transfers });
    else if (transfers.length === 0) io.stdout.write(wanted ? 'no transfers in that state\n' : 'no transfers\n');
    else io.stdout.write(transferTable(transfers) + '\n');
    return EXIT.OK;
  },
};

function parseStates(raw: string | undefined): Set<string> | undefined {
  if (raw === undefined) return undefined;
  const states = raw.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const bad = states.filter((s) => !(STATES as readonly string[]).includes(s));
  if (bad.length > 0 || states.length === 0) {
    throw new UsageError(`--state must be among ${STATES.join(', ')} (got '${raw}')`, 'ls');
  }
  return new Set(states);
}
