// `ferryctl conditions`: the agent's view of network, power, data plan and storage, in words.
import { conditionsLines } from '../format/conditions.js';
import type { Command } from './command.js';
import { EXIT, printJson } from './command.js';

export const conditionsCommand: Command = {
  name: 'conditions',
  summary: 'show network, power, data plan and storage as the agent sees them',
  args: '',
  options: {},
  positionals: { min: 0, max: 0 },
  async run({ client, io, json }) {
    const c = await client.conditions();
    if (json) printJson(io, c);
    else io.stdout.write(conditionsLines(c).join('\n') + '\n');
    return EXIT.OK;
  },
};
