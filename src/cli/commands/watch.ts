// `ferryctl watch [ID]`: follow transfers live. With an ID it ends when that transfer does
// (0 completed, 1 failed/cancelled); without, it follows every transfer and conditions until ^C.
import { isFinal } from '../../model/job.js';
import type { Command } from './command.js';
import { subscribe } from './follow.js';
import { withTransferId } from './transfer-id.js';

export const watchCommand: Command = {
  name: 'watch',
  summary: 'follow transfers live (progress bar on a terminal, plain lines otherwise)',
  args: '[ID]',
  details: [
    'With ID: exits when the transfer ends: 0 completed, 1 failed or cancelled.',
    'Without: follows all transfers and conditions until interrupted.',
    'With --json: one {"event","data"} object per line.',
  ],
  options: {},
  positionals: { min: 0, max: 1 },
  async run(ctx) {
    const session = await subscribe(ctx);
    const wanted = ctx.positionals[0];
    return session.run(async () => {
      if (wanted !== undefined) {
        const t = await withTransferId(ctx.client, wanted, 'watch', (id) => ctx.client.getTransfer(id));
        return { initial: [t], id: t.id, showConditions: false };
      }
      const all = await ctx.client.listTransfers();
      return { initial: all.filter((t) => !isFinal(t.state)), showConditions: true };
    });
  },
};
