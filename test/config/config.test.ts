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

describe('config ranges (issue 9: no value may stop the agent later)', () => {
  it.each([
    ['policy.periodicMinMinutes', { policy: { periodicMinMinutes: 1e12 } }],
    ['policy.uploadCaps.cellularBytes', { policy: { uploadCaps: { cellularBytes: 2 ** 60 } } }],
    ['conditions.pollIntervalS', { conditions: { pollIntervalS: 1e10 } }],
    ['transfers.defaultRetry.maxDelayS', { transfers: { defaultRetry: { maxDelayS: 1e300 } } }],
    ['transfers.defaultRetry.maxAttempts', { transfers: { defaultRetry: { maxAttempts: 1e9 } } }],
    ['transfers.checkpointMs', { transfers: { checkpointMs: 2 ** 31 } }],
    ['clients.list[0].uids[0]', { clients: { list: [{ name: 'a', uids: [2 ** 40] }] } }],
    ['devices[0].when.everyMinutes', { devices: [{ id: 'd', transport: { kind: 'udp', host: 'x' }, when: { everyMinutes: 1e9 } }] }],
    ['devices[0].smp.timeoutMs', { devices: [{ id: 'd', transport: { kind: 'udp', host: 'x' }, smp: { timeoutMs: 1e12 } }] }],
    ['devices[0].lines.rotateSeconds', { devices: [{ id: 'd', transport: { kind: 'udp', host: 'x' }, lines: { rotateSeconds: 1e12 } }] }],
  ])('refuses an out-of-range %s', (path, input) => {
    const r = validateConfig(input);
    expect(r.config).toBeNull();
    expect(r.issues.map((i) => i.path)).toContain(path);
  });
});

describe('reserved client names', () => {
  it.each(['root', 'device-sync', 'fleet', 'uid-1000', 'UID-7', 'Root'])('refuses a client named %s, naming the field', (name) => {
    const r = validateConfig({ clients: { list: [{ name: 'ok', uids: [1000] }, { name, uids: [1001] }] } });
    expect(r.config).toBeNull();
    expect(r.issues).toEqual([{ path: 'clients.list[1].name', message: expect.stringMatching(/reserved/) }]);
  });

  it('accepts names that only look alike', () => {
    expect(validateConfig({ clients: { list: [{ name: 'rooted', uids: [1] }, { name: 'uid-x', uids: [2] }, { name: 'fleet2', uids: [3] }] } }).config).not.toBeNull();
  });
});
