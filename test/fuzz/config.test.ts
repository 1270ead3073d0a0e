// Fuzzing the config loader with files an operator (or a broken deploy) could write: wrong types, values
// out of range, unknown keys, reserved client names, hostile strings, text that is not JSON. Properties:
// parseConfigText throws only CONFIG_INVALID naming a field, and a config it accepts has every number
// inside the ranges that keep timers and dates valid; the device cross-field checks never throw.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfigText, validateConfig } from '../../src/config/load.js';
import { deviceProblems } from '../../src/sync/device-config.js';
import { FerryError } from '../../src/errors.js';
import { hostileString, runsFor } from './fuzz-setup.js';

const num = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -1, 1e12, 2 ** 31, 2 ** 53, 1e308, 0.5));
const val = fc.oneof(num, hostileString(12), fc.boolean(), fc.constant(null), fc.constant([]), fc.constant({}));
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 2 });

const config = fc.record(
  {
    socket: opt(fc.record({ maxBodyBytes: opt(num), maxStreams: opt(num), maxStreamStallS: opt(num), mode: opt(val) }, { requiredKeys: [] })),
    clients: opt(
      fc.record(
        {
          list: opt(fc.array(fc.record({ name: fc.oneof(fc.constantFrom('root', 'fleet', 'uid-3', 'ops', 'device-sync'), hostileString(10)), uids: fc.array(num, { maxLength: 3 }), rights: opt(fc.array(fc.oneof(fc.constant('userInitiated'), hostileString(8)), { maxLength: 2 })) }, { requiredKeys: ['name'] }), { maxLength: 3 })),
          allowUnlisted: opt(val),
        },
        { requiredKeys: [] },
      ),
    ),
    transfers: opt(fc.record({ checkpointMs: opt(num), defaultRetry: opt(fc.record({ maxDelayS: opt(num), maxAttempts: opt(num) }, { requiredKeys: [] })), userAgent: opt(val) }, { requiredKeys: [] })),
    policy: opt(fc.record({ periodicMinMinutes: opt(num), concurrency: opt(num), executionWindowS: opt(num) }, { requiredKeys: [] })),
    conditions: opt(fc.record({ pollIntervalS: opt(num), source: opt(val) }, { requiredKeys: [] })),
    devices: opt(
      fc.array(
        fc.record(
          {
            id: fc.oneof(fc.constant('d1'), hostileString(8)),
            protocol: opt(fc.constantFrom('smp', 'lines', 'x')),
            transport: fc.record({ kind: fc.constantFrom('serial', 'udp', 'ble', 'usb', 'x'), path: opt(val), host: opt(val), vid: opt(val), lineLength: opt(num), mtu: opt(num) }, { requiredKeys: ['kind'] }),
            when: opt(fc.record({ everyMinutes: opt(num) }, { requiredKeys: [] })),
            smp: opt(fc.record({ timeoutMs: opt(num), retries: opt(num) }, { requiredKeys: [] })),
            pull: opt(fc.array(fc.record({ remote: val, local: opt(val) }, { requiredKeys: ['remote'] }), { maxLength: 2 })),
          },
          { requiredKeys: ['id', 'transport'] },
        ),
        { maxLength: 2 },
      ),
    ),
    bogus: opt(val),
  },
  { requiredKeys: [] },
);

const text = fc.oneof({ weight: 6, arbitrary: config.map((c) => JSON.stringify(c)) }, { weight: 1, arbitrary: hostileString(60) }, { weight: 1, arbitrary: fc.json() });

describe('fuzz: config files', () => {
  it('parseConfigText rejects with CONFIG_INVALID naming a field, or accepts numbers within range', () => {
    fc.assert(
      fc.property(text, (t) => {
        let cfg;
        try {
          cfg = parseConfigText(t, 'fuzz.json');
        } catch (e) {
          expect(e).toBeInstanceOf(FerryError);
          expect((e as FerryError).code).toBe('CONFIG_INVALID');
          return;
        }
        expect(cfg.policy.periodicMinMinutes).toBeLessThanOrEqual(525_600);
        expect(cfg.transfers.checkpointMs).toBeLessThan(2 ** 31);
        expect(cfg.conditions.pollIntervalS * 1000).toBeLessThan(2 ** 31);
        for (const c of cfg.clients.list) expect(['root', 'fleet', 'device-sync']).not.toContain(c.name.toLowerCase());
        for (const d of cfg.devices) {
          if (d.when.everyMinutes) expect(d.when.everyMinutes * 60_000).toBeLessThan(2 ** 31);
          expect(d.smp.timeoutMs).toBeLessThan(2 ** 31);
        }
        deviceProblems(cfg.devices); // the --check-config cross-field pass must not throw either
      }),
      runsFor('config-file', 8_000),
    );
  }, 600_000);

  it('validateConfig on arbitrary JSON values returns issues with paths, never throws', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), (v) => {
        const r = validateConfig(v);
        if (r.config === null) for (const i of r.issues) expect(i.path).toEqual(expect.any(String));
      }),
      runsFor('config-value', 4_000),
    );
  }, 600_000);
});
