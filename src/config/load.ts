// Reads and validates a config file: all errors at once, each naming its JSON path; defaults filled in.
import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { ConfigSchema, type Config } from './schema.js';
import { FerryError } from '../errors.js';
import { reservedNameIssues } from './client-names.js';
import { costConfigIssues } from '../policy/cost-config.js';

export interface ConfigIssue {
  path: string;
  message: string;
}

function jsonPath(pointer: string): string {
  if (pointer === '') return '(root)';
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`))
    .join('')
    .replace(/^\./, '');
}

/** Validates a parsed value; returns the config with defaults, or every issue found. */
export function validateConfig(input: unknown): { config: Config; issues: [] } | { config: null; issues: ConfigIssue[] } {
  const value = Value.Default(ConfigSchema, structuredClone(input ?? {}));
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  for (const e of Value.Errors(ConfigSchema, value)) {
    // Unions report every branch; one line per path is what an operator can act on.
    const path = jsonPath(e.path);
    let message = e.message;
    if (e.schema && (e.schema as { additionalProperties?: boolean }).additionalProperties === false && /additional/i.test(message)) {
      message = 'unknown key';
    } else if (message === 'Unexpected property') {
      message = 'unknown key';
    }
    const key = `${path}|${message}`;
    if (seen.has(key) || [...seen].some((s) => s.startsWith(`${path}|`))) continue;
    seen.add(key);
    issues.push({ path, message });
  }
  const extra = unknownKeys(ConfigSchema, value, '');
  for (const p of extra) if (!issues.some((i) => i.path === p)) issues.push({ path: p, message: 'unknown key' });
  if (issues.length === 0) issues.push(...costConfigIssues(value as Config));
  if (issues.length > 0) return { config: null, issues };
  issues.push(...reservedNameIssues(value as Config));
  if (issues.length > 0) return { config: null, issues };
  return { config: value as Config, issues: [] };
}

// TypeBox names the object, not the key, for additionalProperties; walk to name the key itself.
function unknownKeys(schema: unknown, value: unknown, at: string): string[] {
  const s = schema as { type?: string; properties?: Record<string, unknown>; additionalProperties?: boolean; items?: unknown };
  if (!s || typeof value !== 'object' || value === null) return [];
  if (s.type === 'array' && Array.isArray(value) && s.items) {
    return value.flatMap((v, i) => unknownKeys(s.items, v, `${at}[${i}]`));
  }
  if (s.type !== 'object' || !s.properties || Array.isArray(value)) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    const p = at ? `${at}.${k}` : k;
    if (!(k in s.properties)) {
      if (s.additionalProperties === false) out.push(p);
      continue;
    }
    out.push(...unknownKeys(s.properties[k], v, p));
  }
  return out;
}

export function parseConfigText(text: string, source: string): Config {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new FerryError('CONFIG_INVALID', `${source}: not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  const r = validateConfig(parsed);
  if (r.config === null) {
    const lines = r.issues.map((i) => `${i.path}: ${i.message}`);
    const err = new FerryError('CONFIG_INVALID', `${source}: ${lines.length} error(s):\n  ${lines.join('\n  ')}`, {
      field: r.issues[0]?.path,
    });
    (err as FerryError & { issues?: ConfigIssue[] }).issues = r.issues;
    throw err;
  }
  return r.config;
}

export function loadConfigFile(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new FerryError('CONFIG_INVALID', `${file}: cannot read: ${(e as Error).message}`, { cause: e });
  }
  return parseConfigText(text, file);
}

/** The embedded defaults: what ferryd runs on with no config file. */
export function defaultConfig(): Config {
  const r = validateConfig({});
  if (r.config === null) throw new Error(`embedded defaults invalid: ${JSON.stringify(r.issues)}`);
  return r.config;
}
