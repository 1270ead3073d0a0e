// Sends one request and follows redirects by hand, so every hop is checked: at most `maxRedirects`,
// no loops, never https -> http, only http(s) targets, no private addresses (origin-rules.ts), and
// credentials never leak to another origin. A body is rebuilt per hop from the caller's descriptor.
import { FerryError } from '../errors.js';
import type { RequestBody } from './http1/http1-client.js';
import { checkNextPlace, crossOriginHeaders, type Resolve } from './origin-rules.js';

export interface HopRequest {
  method: string;
  headers: Record<string, string>;
  /** Builds the body anew for each hop (its chunks can be read once); absent for bodiless requests. */
  body?: () => RequestBody;
}

export interface FinalResponse<B> {
  url: URL;
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: B;
}

/** Sends one request (one hop): the engine's HTTP/1.1 client (http1/), or a test's. */
export type SendOne<B extends { dump(): Promise<void> }> = (
  url: URL,
  req: { method: string; headers: Record<string, string>; body: HopRequest['body'] | undefined; signal: AbortSignal },
) => Promise<{ statusCode: number; headers: Record<string, string | string[] | undefined>; body: B }>;

export interface FollowOptions {
  maxRedirects: number;
  signal: AbortSignal;
  /** transfers.allowPrivateRedirects */
  allowPrivate?: boolean;
  /** Name resolution for the address-class rule (tests pass their own). */
  resolve?: Resolve;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

function headerValue(h: FinalResponse<unknown>['headers'], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Basic auth from user:password in the URL, unless the client gave its own Authorization. */
function withUrlCredentials(url: URL, headers: Record<string, string>): Record<string, string> {
  if (!url.username && !url.password) return headers;
  if (Object.keys(headers).some((k) => k.toLowerCase() === 'authorization')) return headers;
  const token = Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64');
  return { ...headers, authorization: `Basic ${token}` };
}

export async function followRedirects<B extends { dump(): Promise<void> }>(
  send: SendOne<B>,
  startUrl: string,
  req: HopRequest,
  opts: FollowOptions,
): Promise<FinalResponse<B>> {
  const start = new URL(startUrl);
  let url = start;
  let { method, headers, body } = req;
  const seen = new Set<string>();
  for (let hop = 0; ; hop++) {
    seen.add(`${method} ${url.href}`);
    const res = await send(url, { method, headers: withUrlCredentials(url, headers), body, signal: opts.signal });
    const location = headerValue(res.headers, 'location');
    // A 303 after an upload means "done, the result is elsewhere": the caller decides, we do not fetch it.
    const follow = REDIRECTS.has(res.statusCode) && location !== undefined && !(res.statusCode === 303 && body);
    if (!follow) return { url, statusCode: res.statusCode, headers: res.headers, body: res.body };
    await res.body.dump().catch(() => undefined);
    let next: URL;
    try {
      next = new URL(location, url);
    } catch (e) {
      throw new FerryError('PROTOCOL_ERROR', `redirect to an invalid Location`, { cause: e });
    }
    await checkNextPlace(start, url, next, { allowPrivate: opts.allowPrivate ?? false, ...(opts.resolve ? { resolve: opts.resolve } : {}) }, 'redirect');
    if (hop + 1 > opts.maxRedirects) {
      throw new FerryError('REDIRECT_LIMIT', `more than ${opts.maxRedirects} redirects`);
    }
    // 303 always, and 301/302 for bodiless POST (what browsers and curl do), become GET.
    if (res.statusCode === 303 || ((res.statusCode === 301 || res.statusCode === 302) && method === 'POST' && !body)) {
      method = method === 'HEAD' ? 'HEAD' : 'GET';
      body = undefined;
    }
    // Leaving the origin the client named: only headers that carry no credential go along.
    if (next.origin !== url.origin) headers = crossOriginHeaders(headers);
    if (seen.has(`${method} ${next.href}`)) throw new FerryError('REDIRECT_LIMIT', 'redirect loop');
    url = next;
  }
}
