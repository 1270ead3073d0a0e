// `ferryctl show ID`: one transfer with its state, progress, reasons, warnings and error.
import { transferBlock } from '../format/transfer.js';
import type { Command } from './command.js';
import { EXIT, printJson } from './command.js';
import { withTransferId } from './transfer-id.js';

export const showCommand: Command = {
  name: 'show',
  summary: 'show one transfer: state, progress, why it waits, warnings, error',
  args: 'ID',
  options: {},
  positionals: { min: 1, max: 1 },
  async run({ client, io, json, positionals }) {
    const t = await withTransferId(client, positionals[0]!, 'show', (id) => client.getTransfer(id));
    if (json) printJson(io, t);
    else io.stdout.write(transferBlock(t) + '\n');
    return EXIT.OK;
  },
};
