import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { FerryError } from '../../src/errors.js';
import { checkHeaders, checkUrl, resolveInsideRoot } from '../../src/transfer/request-checks.js';
import { makeTempDir } from '../support/tmp.js';

function codeOf(fn: () => unknown): { code: string; field: string | undefined } | null {
  try {
    fn();
    return null;
  } catch (e) {
    if (!(e instanceof FerryError)) throw e;
    return { code: e.code, field: e.field };
  }
}

async function rejection(p: Promise<unknown>): Promise<{ code: string; field: string | undefined } | null> {
  try {
    await p;
    return null;
  } catch (e) {
    if (!(e instanceof FerryError)) throw e;
    return { code: e.code, field: e.field };
  }
}

describe('checkUrl', () => {
  it('accepts http and https', () => {
    expect(checkUrl('https://example.test/a?b=1').hostname).toBe('example.test');
    expect(checkUrl('http://127.0.0.1:8080/x').port).toBe('8080');
  });
  it('rejects ftp:, file: and others with UNSUPPORTED_SCHEME on field url', () => {
    expect(codeOf(() => checkUrl('ftp://example.test/f'))).toEqual({ code: 'UNSUPPORTED_SCHEME', field: 'url' });
    expect(codeOf(() => checkUrl('file:///etc/passwd'))).toEqual({ code: 'UNSUPPORTED_SCHEME', field: 'url' });
    expect(codeOf(() => checkUrl('data:text/plain,hi'))?.code).toBe('UNSUPPORTED_SCHEME');
  });
  it('rejects what is not an absolute URL with INVALID_URL', () => {
    expect(codeOf(() => checkUrl('/relative/path'))).toEqual({ code: 'INVALID_URL', field: 'url' });
    expect(codeOf(() => checkUrl('http://'))?.code).toBe('INVALID_URL');
  });
});

describe('checkHeaders', () => {
  it('accepts ordinary headers', () => {
    expect(() => checkHeaders({ 'X-Token': 'abc', Authorization: 'Bearer x', 'Content-Type': 'text/csv' })).not.toThrow();
  });
  it('rejects the resume headers whatever their case', () => {
    for (const name of ['If-Modified-Since', 'if-none-match', 'IF-RANGE', 'Range', 'Unless-Modified-Since']) {
      expect(codeOf(() => checkHeaders({ [name]: 'x' }))).toEqual({ code: 'RESERVED_HEADER', field: `headers.${name}` });
    }
  });
  it('rejects framing and tus headers the agent owns', () => {
    for (const name of ['Host', 'Content-Length', 'transfer-encoding', 'Connection', 'Upload-Offset', 'Tus-Resumable']) {
      expect(codeOf(() => checkHeaders({ [name]: '1' }))?.code).toBe('RESERVED_HEADER');
    }
  });
  it('rejects CR, LF and NUL in values and bad names', () => {
    expect(codeOf(() => checkHeaders({ 'X-A': 'a\r\nX-Injected: 1' }))).toEqual({ code: 'INVALID_HEADER', field: 'headers.X-A' });
    expect(codeOf(() => checkHeaders({ 'X-A': 'a\nb' }))?.code).toBe('INVALID_HEADER');
    expect(codeOf(() => checkHeaders({ 'X-A': 'a\u0000b' }))?.code).toBe('INVALID_HEADER');
    expect(codeOf(() => checkHeaders({ 'X A': 'v' }))?.code).toBe('INVALID_HEADER');
    expect(codeOf(() => checkHeaders({ 'X-A\r\n': 'v' }))?.code).toBe('INVALID_HEADER');
  });
  it('rejects more than 15 headers and one over 16 KiB', () => {
    const many = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`X-H${i}`, 'v']));
    expect(codeOf(() => checkHeaders(many))).toEqual({ code: 'TOO_MANY_HEADERS', field: 'headers' });
    expect(() => checkHeaders(Object.fromEntries(Object.entries(many).slice(0, 15)))).not.toThrow();
    expect(codeOf(() => checkHeaders({ 'X-Big': 'a'.repeat(16 * 1024) }))).toEqual({ code: 'HEADER_TOO_LARGE', field: 'headers.X-Big' });
  });
  it('rejects the same name twice in different case', () => {
    expect(codeOf(() => checkHeaders({ 'X-A': '1', 'x-a': '2' }))?.code).toBe('INVALID_HEADER');
  });
});

describe('resolveInsideRoot', () => {
  let tmp: ReturnType<typeof makeTempDir>;
  let root: string;
  beforeAll(() => {
    tmp = makeTempDir();
    root = join(tmp.path, 'root');
    mkdirSync(join(root, 'in'), { recursive: true });
    mkdirSync(join(tmp.path, 'outside'));
    symlinkSync(join(tmp.path, 'outside'), join(root, 'escape'));
    symlinkSync(join(root, 'in'), join(root, 'alias'));
  });
  afterAll(() => tmp.cleanup());

  it('accepts sub-folders that do not exist yet, creating nothing', async () => {
    expect(await resolveInsideRoot(root, 'a/b/c.bin')).toEqual({ abs: join(root, 'a/b/c.bin'), rel: 'a/b/c.bin' });
    expect(readdirSync(root).sort()).toEqual(['alias', 'escape', 'in']);
  });
  it('accepts an absolute path inside the root and returns it relative', async () => {
    expect((await resolveInsideRoot(root, join(root, 'in/x.bin'))).rel).toBe('in/x.bin');
  });
  it('accepts a symlink that stays inside the root', async () => {
    expect((await resolveInsideRoot(root, 'alias/x.bin')).rel).toBe('alias/x.bin');
  });
  it('rejects .. anywhere with PATH_OUTSIDE_ROOT on field path', async () => {
    expect(await rejection(resolveInsideRoot(root, '../x'))).toEqual({ code: 'PATH_OUTSIDE_ROOT', field: 'path' });
    expect((await rejection(resolveInsideRoot(root, 'in/../../x')))?.code).toBe('PATH_OUTSIDE_ROOT');
  });
  it('rejects absolute paths outside the root', async () => {
    expect((await rejection(resolveInsideRoot(root, '/etc/passwd')))?.code).toBe('PATH_OUTSIDE_ROOT');
    expect((await rejection(resolveInsideRoot(root, `${root}-sibling/x`)))?.code).toBe('PATH_OUTSIDE_ROOT');
  });
  it('rejects a path through a symlink that leads out of the root', async () => {
    expect((await rejection(resolveInsideRoot(root, 'escape/x.bin')))?.code).toBe('PATH_OUTSIDE_ROOT');
    expect((await rejection(resolveInsideRoot(root, 'escape/deeper/x.bin')))?.code).toBe('PATH_OUTSIDE_ROOT');
  });
  it('rejects the root itself and empty paths', async () => {
    expect((await rejection(resolveInsideRoot(root, '')))?.code).toBe('INVALID_FIELD');
    expect((await rejection(resolveInsideRoot(root, root)))?.code).toBe('INVALID_FIELD');
  });
});
