#!/usr/bin/env node
// ferryctl entry: wires the real process (argv, stdout/stderr, env, clock, SIGINT) into main().
// Everything testable lives in commands/dispatch.ts; this file only runs it.
import { main } from './commands/dispatch.js';

const ac = new AbortController();
// First ^C asks the command to stop following and exit 130; a second one kills as usual.
const onSigint = (): void => ac.abort();
process.once('SIGINT', onSigint);

main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  now: () => Date.now(),
  signal: ac.signal,
}).then(
  (code) => {
    process.removeListener('SIGINT', onSigint);
    // Exit once the output is flushed: a device library (noble's HCI socket) can keep the loop alive.
    process.stdout.write('', () => process.exit(code));
  },
  (e: unknown) => {
    process.stderr.write(`ferryctl: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
