// ferryctl's main(argv, io): parse, pick the command, run it, and turn whatever it throws into an
// exit status and a message. exitStatusFor() is the one place that maps errors to exit statuses.
import { DEFAULT_SOCKET, GLOBAL_OPTIONS, UsageError, describeOptions, parseCommandLine, resolveSocketPath } from '../args.js';
import { exitCodeFor, isFerryError } from '../../errors.js';
import { AgentError, AgentUnreachableError, FerryClient } from '../client.js';
import { formatAgentError, formatUnreachable } from '../format/errors.js';
import type { CliIo, Command } from './command.js';
import { EXIT, printJson } from './command.js';
import { COMMANDS } from './registry.js';

export async function main(argv: readonly string[], io: CliIo, commands: readonly Command[] = COMMANDS): Promise<number> {
  const find = (name: string): Command | undefined => commands.find((c) => c.name === name);
  let json = false;
  try {
    const cl = parseCommandLine(argv, (name) => find(name)?.options);
    json = cl.json;
    if (cl.command === undefined) {
      if (cl.help) {
        io.stdout.write(generalHelp(commands));
        return EXIT.OK;
      }
      throw new UsageError('missing command');
    }
    if (cl.command === 'help') {
      const topic = cl.positionals[0];
      if (topic === undefined) io.stdout.write(generalHelp(commands));
      else {
        const cmd = find(topic);
        if (!cmd) throw new UsageError(`unknown command '${topic}'`);
        io.stdout.write(commandHelp(cmd));
      }
      return EXIT.OK;
    }
    const cmd = find(cl.command);
    if (!cmd) throw new UsageError(`unknown command '${cl.command}'`);
    if (cl.help) {
      io.stdout.write(commandHelp(cmd));
      return EXIT.OK;
    }
    if (cl.positionals.length < cmd.positionals.min) {
      const required = cmd.args.split(' ').filter((a) => /^[A-Z]/.test(a));
      throw new UsageError(`missing ${required[cl.positionals.length] ?? 'argument'}`, cmd.name);
    }
    if (cl.positionals.length > cmd.positionals.max) {
      throw new UsageError(`unexpected argument '${cl.positionals[cmd.positionals.max]}'`, cmd.name);
    }
    const client = new FerryClient({ socketPath: resolveSocketPath(cl.socket, io.env) });
    return await cmd.run({ positionals: cl.positionals, values: cl.values, json, client, io });
  } catch (e) {
    return report(e, io, json, commands);
  }
}

/** Maps what a command threw to its exit status; the message goes to stderr (--json: the API's error body to stdout). */
export function exitStatusFor(e: unknown): number {
  if (e instanceof UsageError) return EXIT.USAGE;
  if (e instanceof AgentError) return EXIT.AGENT_ERROR;
  if (e instanceof AgentUnreachableError) return EXIT.UNREACHABLE;
  if (isFerryError(e)) return exitCodeFor(e.code);
  return EXIT.AGENT_ERROR;
}

function report(e: unknown, io: CliIo, json: boolean, commands: readonly Command[]): number {
  if (e instanceof UsageError) {
    const cmd = e.command === undefined ? undefined : commands.find((c) => c.name === e.command);
    io.stderr.write(`ferryctl: ${e.message}\n${cmd ? shortUsage(cmd) : generalUsage(commands)}`);
  } else if (e instanceof AgentError) {
    if (json) printJson(io, e.body);
    else io.stderr.write(formatAgentError(e) + '\n');
  } else if (e instanceof AgentUnreachableError) {
    io.stderr.write(formatUnreachable(e) + '\n');
  } else if (isFerryError(e)) {
    io.stderr.write(`ferryctl: error ${e.code}: ${e.message}\n`);
  } else {
    // A bug in ferryctl itself: say so plainly rather than pretending the agent failed.
    const msg = e instanceof Error ? (e.stack ?? e.message) : String(e);
    io.stderr.write(`ferryctl: internal error: ${msg}\n`);
  }
  return exitStatusFor(e);
}

function generalUsage(commands: readonly Command[]): string {
  return `usage: ferryctl [--socket PATH] [--json] COMMAND [ARGS]\ncommands: ${commands.map((c) => c.name).join(', ')}\nrun 'ferryctl help' for details\n`;
}

function shortUsage(cmd: Command): string {
  return `usage: ferryctl ${cmd.name}${cmd.args ? ` ${cmd.args}` : ''}\nrun 'ferryctl ${cmd.name} --help' for details\n`;
}

export function generalHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'ferryctl: control the ferry transfer agent (ferryd)',
    '',
    'usage: ferryctl [--socket PATH] [--json] COMMAND [ARGS]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    `  ${'help'.padEnd(width)}  show help for a command: ferryctl help COMMAND`,
    '',
    'options (every command):',
    ...describeOptions(GLOBAL_OPTIONS),
    '',
    `socket: --socket, else $FERRY_SOCKET, else ${DEFAULT_SOCKET}`,
    'exit status: 0 ok, 1 the agent answered an error, 2 usage error, 3 the agent is unreachable',
    '',
  ].join('\n');
}

export function commandHelp(cmd: Command): string {
  const lines = [`usage: ferryctl ${cmd.name}${cmd.args ? ` ${cmd.args}` : ''}`, '', cmd.summary, ''];
  if (Object.keys(cmd.options).length > 0) lines.push('options:', ...describeOptions(cmd.options), '');
  lines.push('global options:', ...describeOptions(GLOBAL_OPTIONS), '');
  if (cmd.details) lines.push(...cmd.details, '');
  return lines.join('\n');
}
