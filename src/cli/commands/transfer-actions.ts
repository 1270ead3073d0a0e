// `ferryctl pause|resume|cancel ID` (POST …/{action}, answered with the transfer) and `rm ID`
// (DELETE, 204). The three actions differ only in their verb, hence one file.
import { noteWords, shortId } from '../format/transfer.js';
import type { Command } from './command.js';
import { EXIT, printJson } from './command.js';
import { withTransferId } from './transfer-id.js';

function actionCommand(action: 'pause' | 'resume' | 'cancel', summary: string): Command {
  return {
    name: action,
    summary,
    args: 'ID',
    options: {},
    positionals: { min: 1, max: 1 },
    async run({ client, io, json, positionals }) {
      const t = await withTransferId(client, positionals[0]!, action, (id) => client.act(id, action));
      if (json) printJson(io, t);
      else {
        const note = noteWords(t);
        io.stdout.write(`${shortId(t.id)} is now ${t.state}${note ? `: ${note}` : ''}\n`);
      }
      return EXIT.OK;
    },
  };
}

export const pauseCommand = actionCommand('pause', 'pause a transfer (it keeps what it has)');
export const resumeCommand = actionCommand('resume', 'resume a paused transfer (the policy decides when it runs)');
export const cancelCommand = actionCommand('cancel', 'cancel a transfer (it stays listed until rm)');

export const rmCommand: Command = {
  name: 'rm',
  summary: 'remove a transfer (cancels it first if unfinished) and free its quota slot',
  args: 'ID',
  options: {},
  positionals: { min: 1, max: 1 },
  async run({ client, io, json, positionals }) {
    const removed = await withTransferId(client, positionals[0]!, 'rm', async (id) => {
      await client.removeTransfer(id);
      return id;
    });
    // 204 has no body: --json prints nothing, so `ferryctl --json rm X | jq` stays valid.
    if (!json) io.stdout.write(`removed ${removed}\n`);
    return EXIT.OK;
  },
};
