// Writes config/ferry.schema.json and config/ferry.json (the embedded defaults, spelled out) from the
// TypeBox source (`npm run schema`). A test fails when the committed files differ, so editors'
// validation, the documented defaults and the agent's own validation never drift apart.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigSchema } from './schema.js';
import { defaultConfig } from './load.js';

export function schemaText(): string {
  return JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...ConfigSchema }, null, 2) + '\n';
}

export function defaultConfigText(): string {
  return JSON.stringify({ $schema: './ferry.schema.json', ...defaultConfig() }, null, 2) + '\n';
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = process.argv[2] ?? 'config';
  writeFileSync(`${dir}/ferry.schema.json`, schemaText());
  writeFileSync(`${dir}/ferry.json`, defaultConfigText());
}
