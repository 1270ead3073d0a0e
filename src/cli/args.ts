// ferryctl argument parsing on node:util parseArgs: global options (--socket, --json, --help) are
// accepted before or after the command; anything parseArgs refuses becomes a UsageError (exit 2).
import { parseArgs } from 'node:util';

export const DEFAULT_SOCKET = '/run/ferry/ferry.sock';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Placeholder shown in help, e.g. FILE. */
  value?: string;
  help: string;
}

export type OptionSpecs = Record<string, OptionSpec>;

export type OptionValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

export interface ParsedCommandLine {
  command: string | undefined;
  positionals: string[];
  values: OptionValues;
  socket: string | undefined;
  json: boolean;
  help: boolean;
}

/** A mistake in how ferryctl was called; `command` selects which usage to print with it. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export const GLOBAL_OPTIONS: OptionSpecs = {
  socket: { type: 'string', value: 'PATH', help: `agent socket (default: $FERRY_SOCKET, else ${DEFAULT_SOCKET})` },
  json: { type: 'boolean', help: "print the API's JSON instead of text" },
  help: { type: 'boolean', short: 'h', help: 'show help' },
};

/** The first argument that is neither an option nor the value of a global string option. */
export function findCommand(argv: readonly string[]): { command: string | undefined; index: number } {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return { command: argv[i + 1], index: argv[i + 1] === undefined ? -1 : i + 1 };
    if (a === '--socket') {
      i++;
      continue;
    }
    if (a.startsWith('-') && a !== '-') continue;
    return { command: a, index: i };
  }
  return { command: undefined, index: -1 };
}

/** Parses argv (without node and script) against the global options plus `commandOptions`. */
export function parseCommandLine(
  argv: readonly string[],
  lookup: (name: string) => OptionSpecs | undefined,
): ParsedCommandLine {
  const { command, index } = findCommand(argv);
  const commandOptions = command === undefined ? {} : (lookup(command) ?? {});
  const rest = index === -1 ? [...argv] : [...argv.slice(0, index), ...argv.slice(index + 1)];
  // A `--` that only introduced the command name would otherwise swallow the options after it.
  if (index > 0 && argv[index - 1] === '--') rest.splice(index - 1, 1);
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, spec] of Object.entries({ ...GLOBAL_OPTIONS, ...commandOptions })) {
    options[name] = { type: spec.type, ...(spec.short ? { short: spec.short } : {}), ...(spec.multiple ? { multiple: true } : {}) };
  }
  let parsed: { values: OptionValues; positionals: string[] };
  try {
    parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true }) as typeof parsed;
  } catch (e) {
    throw new UsageError(describeParseError(e), command);
  }
  const socket = parsed.values['socket'];
  return {
    command,
    positionals: parsed.positionals,
    values: parsed.values,
    socket: typeof socket === 'string' ? socket : undefined,
    json: parsed.values['json'] === true,
    help: parsed.values['help'] === true,
  };
}

function describeParseError(e: unknown): string {
  const err = e as { code?: string; message?: string };
  const msg = err.message ?? String(e);
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const m = /Unknown option '([^']+)'/.exec(msg);
      return m ? `unknown option ${m[1]}` : msg;
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const m = /Option '([^']+)'/.exec(msg);
      return m?.[1] && /argument missing/.test(msg) ? `option ${m[1].replace(/^-\w, /, '').replace(/ <value>$/, '')} needs a value` : msg;
    }
    default:
      return msg;
  }
}

/** --socket, else $FERRY_SOCKET (if not empty), else the production default. */
export function resolveSocketPath(flag: string | undefined, env: Record<string, string | undefined>): string {
  if (flag !== undefined && flag !== '') return flag;
  const fromEnv = env['FERRY_SOCKET'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return DEFAULT_SOCKET;
}

export function stringOption(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function stringsOption(values: OptionValues, name: string): string[] {
  const v = values[name];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];
}

export function flagOption(values: OptionValues, name: string): boolean {
  return values[name] === true;
}

/** A string option restricted to `allowed` (matched case-insensitively, returned as spelled in `allowed`). */
export function choiceOption(values: OptionValues, name: string, allowed: readonly string[], command: string): string | undefined {
  const v = stringOption(values, name);
  if (v === undefined) return undefined;
  const hit = allowed.find((a) => a.toLowerCase() === v.toLowerCase());
  if (!hit) throw new UsageError(`--${name} must be one of ${allowed.join(', ')} (got '${v}')`, command);
  return hit;
}

/** Help text for a set of options, aligned. */
export function describeOptions(specs: OptionSpecs): string[] {
  const rows = Object.entries(specs).map(([name, s]) => {
    const flag = `${s.short ? `-${s.short}, ` : '    '}--${name}${s.value ? ` ${s.value}` : ''}`;
    return [flag, s.help + (s.multiple ? ' (repeatable)' : '')] as const;
  });
  const width = Math.max(0, ...rows.map(([f]) => f.length));
  return rows.map(([f, h]) => `  ${f.padEnd(width)}  ${h}`);
}
