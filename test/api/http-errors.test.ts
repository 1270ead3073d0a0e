// What the HTTP layer answers to broken requests (issue 9): malformed percent-encoding, framing the
// parser refuses, oversized headers and clients that leave mid-body — always the JSON error shape with a
// stable code, never a 500 or an empty body, and no error-level log line for a client's mistake.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess } from '../support/agent.js';
import { waitFor } from '../support/wait.js';
import { rawRequest } from './raw-http.js';

describe('the control API facing broken HTTP', () => {
  const agent = new AgentProcess({ log: { level: 'debug' } });
  beforeAll(() => agent.start(), 30_000);
  afterAll(() => agent.stop());

  it.each(['GET', 'POST', 'DELETE'])('answers %s on a malformed percent-encoded id with 400 BAD_REQUEST', async (method) => {
    const r = await agent.api(method, '/v1/transfers/%ff');
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'BAD_REQUEST', message: expect.any(String) });
    const pause = await agent.api('POST', '/v1/transfers/%ed%a0%80/pause');
    expect(pause.body.error.code).toBe('BAD_REQUEST');
  });

  it.each([
    ['a request line that is not HTTP', 400, 'MALFORMED_HTTP', 'GARBAGE\r\n\r\n'],
    ['an invalid byte in a header name', 400, 'MALFORMED_HTTP', 'GET /v1/health HTTP/1.1\r\nho\x01st: x\r\n\r\n'],
    ['a content-length that is not a number', 400, 'MALFORMED_HTTP', 'POST /v1/transfers HTTP/1.1\r\nhost: x\r\ncontent-length: abc\r\n\r\n'],
    ['both content-length and chunked', 400, 'MALFORMED_HTTP', 'POST /v1/transfers HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n'],
    ['a broken chunk size', 400, 'MALFORMED_HTTP', 'POST /v1/transfers HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n'],
    ['headers over the parser limit', 431, 'HEADERS_TOO_LARGE', `GET /v1/health HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`],
  ])('answers %s with %i %s in the JSON error shape', async (_what, status, code, bytes) => {
    const r = await rawRequest(agent.socket, Buffer.from(bytes, 'latin1'));
    expect(r.status).toBe(status);
    expect(r.headers).toMatch(/content-type: application\/json/i);
    expect(r.body).toMatchObject({ error: { code, message: expect.any(String) } });
  });

  it('answers a body cut short (the client shut its side) with 400 MALFORMED_HTTP in the JSON error shape', async () => {
    const head = 'POST /v1/transfers HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"url":';
    const r = await rawRequest(agent.socket, head, { endAfter: true });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: { code: 'MALFORMED_HTTP' } });
  });

  it('logs a client that leaves mid-body at debug level, not as a failed request', async () => {
    const before = agent.logs.length;
    await new Promise<void>((resolve) => {
      const s = connect(agent.socket);
      s.write('POST /v1/transfers HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"url":');
      setTimeout(() => {
        s.destroy();
        resolve();
      }, 100);
    });
    await waitFor(() => agent.logs.slice(before).includes('CLIENT_GONE') || agent.logs.slice(before).includes('client left'), 5000, 'the debug line');
    const lines = agent.logs.slice(before).split('\n').filter(Boolean);
    expect(lines.filter((l) => /"level":(50|60)/.test(l))).toEqual([]);
    expect(agent.logs).not.toMatch(/request failed/);
    expect((await agent.api('GET', '/v1/health')).status).toBe(200);
  });
});
