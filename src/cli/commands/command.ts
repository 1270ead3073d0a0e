// What a ferryctl command is: a name, its options and a run() that returns an exit status.
// Adding a command (devices, sync, smp…) is one file exporting a Command plus one line in registry.ts.
import type { OptionSpecs, OptionValues } from '../args.js';
import type { FerryClient } from '../client.js';

/** The exit statuses of ferryctl (API.md "Command line"); exitStatusFor() in dispatch.ts maps errors to them. */
export const EXIT = {
  OK: 0,
  /** The agent answered an error, or a followed transfer ended failed/cancelled. */
  AGENT_ERROR: 1,
  USAGE: 2,
  UNREACHABLE: 3,
  /** Interrupted (SIGINT) while following events. */
  INTERRUPTED: 130,
} as const;

export interface OutputStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Everything a command touches outside itself: tests pass buffers, a fixed clock and their own env. */
export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  env: Record<string, string | undefined>;
  /** Milliseconds; rate and ETA are computed against it. */
  now(): number;
  /** Aborted on SIGINT: commands that follow events stop and return EXIT.INTERRUPTED. */
  signal?: AbortSignal;
}

export interface CommandContext {
  positionals: string[];
  values: OptionValues;
  json: boolean;
  client: FerryClient;
  io: CliIo;
}

export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Arguments after the name, e.g. "URL [PATH] [options]". */
  args: string;
  /** Extra help lines printed under the options. */
  details?: string[];
  options: OptionSpecs;
  positionals: { min: number; max: number };
  run(ctx: CommandContext): Promise<number>;
}

/** Writes the API's JSON as --json prints it: indented, one document. */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
