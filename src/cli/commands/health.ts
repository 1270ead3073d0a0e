// `ferryctl health`: is the agent there, and which version.
import type { Command } from './command.js';
import { EXIT, printJson } from './command.js';
import { fleetLine } from './fleet.js';

export const healthCommand: Command = {
  name: 'health',
  summary: "check that the agent answers; show its version and the fleet bridge's state",
  args: '',
  options: {},
  positionals: { min: 0, max: 0 },
  async run({ client, io, json }) {
    const h = await client.health();
    if (json) printJson(io, h);
    else {
      io.stdout.write(`ferryd ${h.status}, version ${h.version} (socket ${client.socketPath})\n`);
      // Older agents have no fleet part.
      if (h.fleet) io.stdout.write(fleetLine(h.fleet) + '\n');
    }
    return EXIT.OK;
  },
};
