// Runs ferryctl's main() in-process with captured output, a chosen env, TTY flag and clock.
import { main } from '../../src/cli/commands/dispatch.js';
import type { CliIo } from '../../src/cli/commands/command.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  env?: Record<string, string | undefined>;
  tty?: boolean;
  columns?: number;
  now?: () => number;
  signal?: AbortSignal;
  /** Receives stdout as it is written (to wait for a line while the command still runs). */
  onStdout?: (all: string) => void;
}

export async function runCli(argv: string[], opts: CliRunOptions = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: {
      write: (s: string) => {
        stdout += s;
        opts.onStdout?.(stdout);
        return true;
      },
      isTTY: opts.tty ?? false,
      columns: opts.columns ?? 100,
    },
    stderr: { write: (s: string) => (stderr += s) },
    env: opts.env ?? {},
    now: opts.now ?? (() => Date.now()),
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

/** Runs a command that keeps going (watch, add --wait) and exposes its output while it runs. */
export function startCli(argv: string[], opts: CliRunOptions = {}): { output(): string; done: Promise<CliRun> } {
  let seen = '';
  const done = runCli(argv, { ...opts, onStdout: (all) => (seen = all) });
  return { output: () => seen, done };
}
