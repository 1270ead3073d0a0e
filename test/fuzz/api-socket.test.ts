// Fuzzing the real agent over its socket: raw requests with random methods, percent-encoded paths,
// header names and values of any bytes, bodies of any bytes or nearly-valid JSON. Properties: every
// answer is HTTP with a JSON body in the error shape (or a success), the agent stays up, and nothing is
// logged at error level. Transfer URLs stay on a closed loopback port.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors.js';
import { AgentProcess } from '../support/agent.js';
import { rawRequest } from '../api/raw-http.js';
import { hostileString, runsFor } from './fuzz-setup.js';

const segment = fc.oneof(
  fc.constantFrom('v1', 'transfers', 'events', 'metrics', 'devices', 'health', 'pause', '%ff', '%00', '%ed%a0%80', '..', '%2e%2e', ''),
  fc.string({ maxLength: 8 }).map(encodeURIComponent),
);
const path = fc.oneof(
  fc.constantFrom('/v1/transfers', '/v1/transfers', '/v1/health', '/v1/metrics', '/v1/devices', '/v1/conditions', '/v1/transfers/%ff', '/v1/transfers/x/pause', '/v1/devices/d/sync', '/v1/transfers?state=%00'),
  fc.array(segment, { maxLength: 4 }).map((s) => `/${s.join('/')}`),
);
const token = fc.stringMatching(/^[a-z-]{1,12}$/);
const headerBytes = fc.tuple(fc.oneof(token, fc.string({ unit: 'binary-ascii', maxLength: 8 })), fc.string({ unit: 'binary-ascii', maxLength: 40 }));
const jsonBody = fc
  .record(
    {
      url: fc.oneof(fc.constant('http://127.0.0.1:1/f'), hostileString(20)),
      path: fc.oneof(fc.constant('fz/a.bin'), hostileString(20)),
      periodicMinutes: fc.oneof(fc.integer(), fc.constant(1e12)),
      tag: hostileString(20),
      headers: fc.dictionary(hostileString(8), hostileString(12), { maxKeys: 2 }),
      retry: fc.record({ initialDelayS: fc.oneof(fc.integer(), fc.double()) }),
    },
    { requiredKeys: [] },
  )
  .map((o) => Buffer.from(JSON.stringify(o)));
const body = fc.oneof(jsonBody, fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.from(b)), fc.constant(Buffer.alloc(0)));

function build(method: string, p: string, headers: Array<[string, string]>, b: Buffer, framing: 'length' | 'chunked' | 'lie'): Buffer {
  const lines = [`${method} ${p} HTTP/1.1`, 'host: ferry', 'connection: close', ...headers.map(([k, v]) => `${k}: ${v}`)];
  if (framing === 'length') lines.push(`content-length: ${b.length}`);
  else if (framing === 'lie') lines.push(`content-length: ${b.length + 7}`);
  else lines.push('transfer-encoding: chunked');
  const head = Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
  const chunk = b.length > 0 ? Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n')]) : Buffer.alloc(0);
  const payload = framing === 'chunked' ? Buffer.concat([chunk, Buffer.from('0\r\n\r\n')]) : b;
  return Buffer.concat([head, payload]);
}

describe('fuzz: the control API over its socket', () => {
  const agent = new AgentProcess();
  beforeAll(async () => {
    agent.writeConfig({ socket: { path: agent.socket, maxStreamsPerClient: 64 }, transfers: { perClientLimit: 50 } });
    await agent.start();
  }, 30_000);
  afterAll(() => agent.stop());

  it('answers every request in the JSON error shape or with success, and stays up', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS', 'G\u0001T'),
        path,
        fc.array(headerBytes, { maxLength: 3 }),
        body,
        fc.constantFrom<'length' | 'chunked' | 'lie'>('length', 'length', 'chunked', 'lie'),
        async (method, p, headers, b, framing) => {
          const r = await rawRequest(agent.socket, build(method, p, headers, b, framing), { timeoutMs: framing === 'lie' ? 300 : 3000 });
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          if (framing === 'lie' && r.status === 0) return; // the agent waits for bytes that never come; the client gave up
          expect(r.status).toBeGreaterThanOrEqual(200);
          if (r.status === 200 && r.headers.includes('text/event-stream')) return;
          if (p === '/v1/events' && r.status === 0) return; // a stream the client timer ended
          if (r.status >= 400) expect(Object.keys(ERROR_CODES)).toContain(r.body?.error?.code);
        },
      ),
      runsFor('api-socket', 1_000),
    );
    console.log(`fuzz: api-socket statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    expect((await agent.api('GET', '/v1/health')).status).toBe(200);
    expect(agent.child!.exitCode).toBeNull();
    expect(agent.logs.split('\n').filter((l) => /"level":(50|60)/.test(l))).toEqual([]);
  }, 300_000);
});
