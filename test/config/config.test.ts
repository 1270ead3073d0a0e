import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfigText, validateConfig } from '../../src/config/load.js';
import { defaultConfigText, schemaText } from '../../src/config/emit-schema.js';

describe('config', () => {
  it('committed schema and default config are what the TypeBox source generates (npm run schema)', () => {
    expect(readFileSync('config/ferry.schema.json', 'utf8')).toBe(schemaText());
    expect(readFileSync('config/ferry.json', 'utf8')).toBe(defaultConfigText());
  });

  it('the production example is valid and uses system paths', () => {
    const cfg = parseConfigText(readFileSync('config/ferry.example.json', 'utf8'), 'ferry.example.json');
    expect(cfg.stateDir).toBe('/var/lib/ferry');
    expect(cfg.socket.path).toBe('/run/ferry/ferry.sock');
  });

  it('fills every default from an empty object', () => {
    const cfg = defaultConfig();
    expect(cfg.policy.concurrency).toBe(2);
    expect(cfg.transfers.perClientLimit).toBe(25);
    expect(cfg.transfers.totalLimit).toBe(500);
    expect(cfg.conditions.source).toBe('config');
  });

  it('reports every error with its JSON path, unknown keys included', () => {
    const r = validateConfig({ transfers: { maxRedirects: -1, bogus: 1 }, foo: 2, policy: { uploadCaps: { cellularBytes: 'x' } } });
    expect(r.config).toBeNull();
    const byPath = Object.fromEntries(r.issues.map((i) => [i.path, i.message]));
    expect(byPath['foo']).toBe('unknown key');
    expect(byPath['transfers.bogus']).toBe('unknown key');
    expect(byPath['transfers.maxRedirects']).toMatch(/greater or equal to 0/);
    expect(byPath['policy.uploadCaps.cellularBytes']).toMatch(/integer/);
  });

  it('names the field of an error inside an array', () => {
    const r = validateConfig({ clients: { list: [{ name: 'ok', uids: [1000] }, { name: 'bad name!', uids: [] }] } });
    expect(r.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['clients.list[1].name', 'clients.list[1].uids']));
  });

  it('rejects text that is not JSON with a clear message', () => {
    expect(() => parseConfigText('{ nope', 'x.json')).toThrow(/x\.json: not valid JSON/);
  });
});
