// What may follow a request to another place: a redirect or a tus Location. Never https -> http;
// to another origin only a small list of harmless headers goes along (no Authorization, cookies or a
// client's custom token headers); and a target in loopback, link-local or private address space is
// refused unless the request started in that same class or `transfers.allowPrivateRedirects` is on,
// so a remote origin cannot bounce a client's request (and body) into a service on the gateway.
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { FerryError } from '../errors.js';

/** Headers that carry no credential; everything else stays with the origin the client named. */
const CROSS_ORIGIN_SAFE = new Set([
  'accept', 'accept-encoding', 'accept-language', 'cache-control', 'content-type', 'content-length',
  'content-encoding', 'user-agent', 'range', 'if-range', 'tus-resumable', 'upload-offset',
  'upload-length', 'upload-metadata', 'upload-defer-length',
]);

export function crossOriginHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => CROSS_ORIGIN_SAFE.has(k.toLowerCase())));
}

export type AddressClass = 'loopback' | 'link-local' | 'private' | 'public';

const CLASSES: Array<[AddressClass, BlockList]> = (() => {
  const loop = new BlockList();
  loop.addSubnet('127.0.0.0', 8, 'ipv4');
  loop.addSubnet('0.0.0.0', 8, 'ipv4');
  loop.addAddress('::1', 'ipv6');
  loop.addAddress('::', 'ipv6');
  const link = new BlockList();
  link.addSubnet('169.254.0.0', 16, 'ipv4');
  link.addSubnet('fe80::', 10, 'ipv6');
  const priv = new BlockList();
  for (const [a, p] of [['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16], ['100.64.0.0', 10], ['198.18.0.0', 15]] as const) priv.addSubnet(a, p, 'ipv4');
  priv.addSubnet('fc00::', 7, 'ipv6');
  return [['loopback', loop], ['link-local', link], ['private', priv]];
})();

/** The class of one IP address (IPv4-mapped IPv6 counts as its IPv4). */
export function classOf(address: string): AddressClass {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const ip = mapped ? mapped[1]! : address;
  const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
  for (const [cls, list] of CLASSES) if (list.check(ip, family)) return cls;
  return 'public';
}

export type Resolve = (host: string) => Promise<string[]>;

const systemResolve: Resolve = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** The classes a URL's host stands for (an IP literal, or what the resolver answers for the name). */
export async function classesOf(url: URL, resolve: Resolve = systemResolve): Promise<Set<AddressClass>> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return new Set([classOf(host)]);
  if (host === 'localhost' || host.endsWith('.localhost')) return new Set(['loopback']);
  try {
    return new Set((await resolve(host)).map(classOf));
  } catch {
    // Unresolvable now: the request itself will fail with the resolver's error.
    return new Set();
  }
}

export interface PlaceRules {
  allowPrivate: boolean;
  resolve?: Resolve;
}

/**
 * Throws INSECURE_REDIRECT when `next` may not be reached from a request that started at `start`
 * and is now at `from` (`what`: "redirect" or "tus Location", for the message).
 */
export async function checkNextPlace(start: URL, from: URL, next: URL, rules: PlaceRules, what: string): Promise<void> {
  if (next.protocol !== 'http:' && next.protocol !== 'https:') {
    throw new FerryError('UNSUPPORTED_SCHEME', `${what} to unsupported scheme ${next.protocol}`);
  }
  if ((from.protocol === 'https:' || start.protocol === 'https:') && next.protocol === 'http:') {
    throw new FerryError('INSECURE_REDIRECT', `refused a ${what} from https to plain http`);
  }
  if (rules.allowPrivate || next.host === from.host || next.host === start.host) return;
  const allowed = await classesOf(start, rules.resolve);
  allowed.add('public');
  for (const cls of await classesOf(next, rules.resolve)) {
    if (!allowed.has(cls)) {
      throw new FerryError('INSECURE_REDIRECT', `refused a ${what} to ${next.host}: a ${cls} address (transfers.allowPrivateRedirects is off)`);
    }
  }
}
