// The ferryctl commands, in the order `ferryctl help` lists them. A new command is one file
// exporting a Command and one line here.
import { addCommand } from './add.js';
import type { Command } from './command.js';
import { conditionsCommand } from './conditions.js';
import { devicesCommand } from './devices.js';
import { healthCommand } from './health.js';
import { lsCommand } from './ls.js';
import { showCommand } from './show.js';
import { smpCommand } from './smp.js';
import { syncCommand } from './sync.js';
import { cancelCommand, pauseCommand, resumeCommand, rmCommand } from './transfer-actions.js';
import { usageCommand } from './usage.js';
import { watchCommand } from './watch.js';

export const COMMANDS: readonly Command[] = [
  addCommand,
  lsCommand,
  showCommand,
  watchCommand,
  pauseCommand,
  resumeCommand,
  cancelCommand,
  rmCommand,
  conditionsCommand,
  devicesCommand,
  syncCommand,
  smpCommand,
  usageCommand,
  healthCommand,
];

export function findCommandByName(name: string, commands: readonly Command[] = COMMANDS): Command | undefined {
  return commands.find((c) => c.name === name);
}
