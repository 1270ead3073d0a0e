// Fuzzing the transfer request (API.md "Transfer request") as a hostile client writes it: the schema and
// field checks, the header checks, the URL check, and the whole enqueue build with its path resolution.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { buildTransfer, parseTransferRequest } from '../../src/queue/transfer-request.js';
import { checkWellFormed } from '../../src/queue/text-checks.js';
import { defaultConfig } from '../../src/config/load.js';
import { checkHeaders, checkUrl } from '../../src/transfer/request-checks.js';
import { makeTempDir } from '../support/tmp.js';
import { expectClean, expectCleanAsync, hostileString, runsFor } from './fuzz-setup.js';

const field = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 2 });
const anyValue = fc.oneof(
  fc.constantFrom(null, true, 1e12, -0, 2 ** 53, Number.NaN, [], {}, ['x'], { a: 1 }),
  hostileString(),
  fc.double(),
  fc.integer(),
);
const headerRecord = fc.dictionary(hostileString(20), fc.oneof(hostileString(60), anyValue), { maxKeys: 18 });

/** Bodies that are nearly right (each field sometimes of the wrong type or out of range), plus noise. */
const requestBody = fc.oneof(
  { weight: 4, arbitrary: fc.record(
    {
      url: fc.oneof(fc.webUrl(), hostileString(), fc.constant('http://127.0.0.1:1/x'), anyValue),
      method: field(fc.oneof(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'get'), anyValue)),
      direction: field(fc.oneof(fc.constantFrom('download', 'upload'), anyValue)),
      path: fc.oneof(hostileString(), fc.constantFrom('a.bin', '/etc/passwd', '../x', 'dir/', '.', ''), anyValue),
      protocol: field(fc.oneof(fc.constantFrom('plain', 'tus'), anyValue)),
      headers: field(fc.oneof(headerRecord, anyValue)),
      preferences: field(fc.oneof(fc.constantFrom('none', 'allowCellular', 'allowBattery'), anyValue)),
      constraints: field(fc.oneof(fc.record({ unmetered: field(fc.boolean()), storageNotLow: field(anyValue) }), anyValue)),
      userInitiated: field(fc.oneof(fc.boolean(), anyValue)),
      retry: field(fc.oneof(fc.record({ initialDelayS: field(fc.oneof(fc.double(), fc.integer())), maxAttempts: field(fc.oneof(fc.double(), fc.integer())) }), anyValue)),
      periodicMinutes: field(fc.oneof(fc.integer(), fc.double(), fc.constant(1e12), fc.constant(null), anyValue)),
      sha256: field(fc.oneof(fc.stringMatching(/^[0-9a-f]{64}$/), anyValue)),
      tag: field(fc.oneof(hostileString(), anyValue)),
    },
    { requiredKeys: [] },
  ) },
  { weight: 1, arbitrary: anyValue },
);

describe('fuzz: transfer requests', () => {
  const dir = makeTempDir('ferry-fuzz-');
  const root = join(dir.path, 'transfers');
  mkdirSync(root);
  const cfg = { ...defaultConfig(), transfersRoot: root };
  afterAll(() => dir.cleanup());

  it('parseTransferRequest rejects cleanly or returns a request whose strings are well-formed', () => {
    fc.assert(
      fc.property(requestBody, (body) => {
        const req = expectClean(() => parseTransferRequest(body));
        if (req) {
          expect(() => checkWellFormed(req)).not.toThrow();
          if (req.periodicMinutes != null) expect(req.periodicMinutes).toBeLessThanOrEqual(525_600);
        }
      }),
      runsFor('transfer-request-schema', 100_000),
    );
  }, 600_000);

  it('checkHeaders and checkUrl reject cleanly', () => {
    fc.assert(
      fc.property(headerRecord, hostileString(80), (h, url) => {
        expectClean(() => checkHeaders(h as Record<string, string>));
        expectClean(() => checkUrl(url));
      }),
      runsFor('headers-and-url', 100_000),
    );
  }, 600_000);

  it('buildTransfer (schema, ranges, path resolution, policy) rejects cleanly or builds a finite record', async () => {
    await fc.assert(
      fc.asyncProperty(requestBody, async (body) => {
        const t = await expectCleanAsync(() => buildTransfer(body, { name: 'fuzz', uid: 0, admin: true }, cfg, new Date()));
        if (t) {
          expect(t.path.startsWith('..')).toBe(false);
          expect(Number.isFinite(t.retry.maxDelayS) && Number.isFinite(t.retry.initialDelayS)).toBe(true);
          expect(new Date(Date.now() + (t.periodicMinutes ?? 0) * 60_000).toISOString()).toEqual(expect.any(String));
        }
      }),
      runsFor('build-transfer', 20_000),
    );
  }, 600_000);
});
