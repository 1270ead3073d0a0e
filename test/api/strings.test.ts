// Strings from clients (issue 9): lone surrogates, invalid UTF-8 and control characters in the url, path,
// tag, header names and values are refused with 400 INVALID_FIELD naming the field, and nothing is queued.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess } from '../support/agent.js';
import { rawPost, rawRequest } from './raw-http.js';

const URL_OK = 'http://127.0.0.1:1/x';

describe('client strings', () => {
  const agent = new AgentProcess();
  beforeAll(() => agent.start(), 30_000);
  afterAll(() => agent.stop());

  it.each([
    ['url', { url: `${URL_OK}\ud800`, path: 'a' }],
    ['path', { url: URL_OK, path: 'a\udc00b' }],
    ['tag', { url: URL_OK, path: 'a', tag: '\ud83d' }],
    ['headers.x-a', { url: URL_OK, path: 'a', headers: { 'x-a': 'v\ud800' } }],
    ['headers', { url: URL_OK, path: 'a', headers: { 'x-\ud800': 'v' } }],
    ['url', { url: `${URL_OK}\u0000`, path: 'a' }],
    ['url', { url: 'http://127.0.0.1:1/a\nb', path: 'a' }],
    ['url', { url: 'http://127.0.0.1:1/a\tb', path: 'a' }],
    ['path', { url: URL_OK, path: 'a\u0000b' }],
    ['path', { url: URL_OK, path: 'a\u001bb' }],
    ['tag', { url: URL_OK, path: 'a', tag: 'x\u0000y' }],
    ['tag', { url: URL_OK, path: 'a', tag: 'x\ry' }],
  ])('refuses a bad string in %s', async (field, body) => {
    const r = await agent.api('POST', '/v1/transfers', body);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'INVALID_FIELD', field });
  });

  it.each([
    ['url', '{"url":"http://127.0.0.1:1/\xff\xfe","path":"a"}'],
    ['tag', '{"url":"http://127.0.0.1:1/x","path":"a","tag":"\xc3\x28"}'],
    ['path', '{"url":"http://127.0.0.1:1/x","path":"\xed\xa0\x80"}'],
    ['(body)', '\xff{}'],
  ])('refuses invalid UTF-8 in %s', async (field, latin1) => {
    const r = await rawRequest(agent.socket, rawPost('/v1/transfers', Buffer.from(latin1, 'latin1')));
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'INVALID_FIELD', field });
  });

  it('header names and values with control characters stay refused, and nothing was queued', async () => {
    const r = await agent.api('POST', '/v1/transfers', { url: URL_OK, path: 'a', headers: { 'x-a': 'v\u0000' } });
    expect(r.body.error).toMatchObject({ code: 'INVALID_HEADER', field: 'headers.x-a' });
    const n = await agent.api('POST', '/v1/transfers', { url: URL_OK, path: 'a', headers: { 'x\u0001': 'v' } });
    expect(n.body.error.code).toBe('INVALID_HEADER');
    expect((await agent.api('GET', '/v1/transfers')).body.transfers).toEqual([]);
  });

  it('accepts well-formed text outside ASCII (surrogate pairs, accents)', async () => {
    const r = await agent.api('POST', '/v1/transfers', { url: URL_OK, path: 'été/😀.bin', tag: 'naïve 😀', retry: { initialDelayS: 3600 } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ path: 'été/😀.bin', tag: 'naïve 😀' });
    await agent.api('DELETE', `/v1/transfers/${r.body.id}`);
  });
});
