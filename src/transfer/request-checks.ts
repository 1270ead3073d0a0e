// Enqueue-time checks of a transfer request: URL scheme, user headers, and the local path.
// Invariant: a path that passes resolveInsideRoot names a file strictly inside the transfers root,
// also after following every symlink that exists on the way; nothing is created while checking.
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { FerryError } from '../errors.js';

const MAX_HEADERS = 15;
const MAX_HEADER_BYTES = 16 * 1024;
// RFC 9110 token characters: a header name is one token.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Field values: visible ASCII, space, tab and obs-text; CR, LF, NUL and other controls split or end a header.
const BAD_VALUE_CHAR = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/** Used by the agent to resume (POLICY.md §2); a client must not set them. */
const RESERVED = new Set(['if-modified-since', 'if-none-match', 'if-range', 'range', 'unless-modified-since']);
/** Framing and tus headers the agent writes itself; a client value would corrupt the exchange. */
const AGENT_OWNED = new Set([
  'host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'te', 'trailer', 'upgrade',
  'proxy-connection', 'expect', 'upload-offset', 'upload-length', 'upload-defer-length', 'upload-metadata',
  'upload-concat', 'upload-checksum', 'tus-resumable', 'tus-version', 'tus-extension',
]);

/** Parses a transfer URL; only http: and https: are accepted. */
export function checkUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch (e) {
    throw new FerryError('INVALID_URL', `not a valid absolute URL: ${JSON.stringify(url.slice(0, 200))}`, { field: 'url', cause: e });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new FerryError('UNSUPPORTED_SCHEME', `scheme ${u.protocol} is not supported; use http: or https:`, { field: 'url' });
  }
  if (!u.hostname) throw new FerryError('INVALID_URL', 'the URL has no host', { field: 'url' });
  return u;
}

/** Validates client headers; throws the first problem found with field `headers.<Name>`. */
export function checkHeaders(h: Record<string, string>): void {
  const names = Object.keys(h);
  if (names.length > MAX_HEADERS) {
    throw new FerryError('TOO_MANY_HEADERS', `at most ${MAX_HEADERS} headers are allowed, got ${names.length}`, { field: 'headers' });
  }
  const seen = new Set<string>();
  for (const name of names) {
    const field = `headers.${name}`;
    const value = h[name];
    if (!TOKEN.test(name)) throw new FerryError('INVALID_HEADER', `header name ${JSON.stringify(name)} is not a valid token`, { field });
    if (typeof value !== 'string') throw new FerryError('INVALID_HEADER', `header ${name} must have a string value`, { field });
    if (BAD_VALUE_CHAR.test(value)) {
      throw new FerryError('INVALID_HEADER', `header ${name} contains CR, LF, NUL or another control character`, { field });
    }
    if (Buffer.byteLength(name) + 2 + Buffer.byteLength(value) > MAX_HEADER_BYTES) {
      throw new FerryError('HEADER_TOO_LARGE', `header ${name} is larger than 16 KiB`, { field });
    }
    const lower = name.toLowerCase();
    if (RESERVED.has(lower)) {
      throw new FerryError('RESERVED_HEADER', `header ${name} is reserved: the agent sets it to resume transfers`, { field });
    }
    if (AGENT_OWNED.has(lower)) {
      throw new FerryError('RESERVED_HEADER', `header ${name} is managed by the agent (connection framing or tus protocol)`, { field });
    }
    if (seen.has(lower)) throw new FerryError('INVALID_HEADER', `header ${name} is given twice (names are case-insensitive)`, { field });
    seen.add(lower);
  }
}

function outside(rel: string): FerryError {
  return new FerryError('PATH_OUTSIDE_ROOT', `path ${JSON.stringify(rel.slice(0, 300))} is outside the transfers root`, { field: 'path' });
}

/** True when `p` is `base` itself or below it (both absolute and normalised). */
function within(base: string, p: string): boolean {
  const r = path.relative(base, p);
  return r === '' || (!r.startsWith('..') && !path.isAbsolute(r));
}

/** realpath of the deepest ancestor of `p` (p included) that exists, with the missing tail re-appended. */
async function realpathDeepest(p: string): Promise<string> {
  let head = p;
  const tail: string[] = [];
  for (;;) {
    try {
      return path.join(await realpath(head), ...tail);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new FerryError('IO_ERROR', `cannot resolve ${head}: ${code}`, { field: 'path', cause: e });
      const parent = path.dirname(head);
      if (parent === head) return p;
      tail.unshift(path.basename(head));
      head = parent;
    }
  }
}

/**
 * Resolves a client path under `root`. Rejects `..` segments, absolute paths elsewhere and symlinks
 * (anywhere on the way) that lead out; accepts absolute paths inside the root and returns them relative.
 */
export async function resolveInsideRoot(root: string, rel: string): Promise<{ abs: string; rel: string }> {
  if (typeof rel !== 'string' || rel.length === 0 || rel.includes('\0')) {
    throw new FerryError('INVALID_FIELD', 'path must be a non-empty file path without NUL bytes', { field: 'path' });
  }
  if (rel.split(/[\\/]/).includes('..')) throw outside(rel);
  const rootAbs = path.resolve(root);
  const rootReal = await realpathDeepest(rootAbs);
  let relative: string;
  if (path.isAbsolute(rel)) {
    const given = path.resolve(rel);
    // The operator may write the root through its real path (the root itself may be a symlink).
    const base = within(rootAbs, given) ? rootAbs : within(rootReal, given) ? rootReal : null;
    if (base === null) throw outside(rel);
    relative = path.relative(base, given);
  } else {
    relative = path.relative(rootAbs, path.resolve(rootAbs, rel));
  }
  if (relative === '' || relative === '.') {
    throw new FerryError('INVALID_FIELD', 'path must name a file inside the transfers root, not the root itself', { field: 'path' });
  }
  const abs = path.join(rootAbs, relative);
  // Symlinks: what really exists on the way must stay inside the real root.
  const real = await realpathDeepest(abs);
  if (!within(rootReal, real) || real === rootReal) throw outside(rel);
  return { abs, rel: relative.split(path.sep).join('/') };
}
