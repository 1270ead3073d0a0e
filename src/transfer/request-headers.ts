// Request headers common to every attempt (client headers plus the configured User-Agent) and
// reading a response header that may come as a list (a repeated header).
import type { Config } from '../config/schema.js';
import type { HttpJob } from '../model/job.js';

/** Client headers (already checked at enqueue) plus User-Agent unless the client set its own. */
export function baseHeaders(t: HttpJob, transfers: Config['transfers']): Record<string, string> {
  const h: Record<string, string> = { ...t.headers };
  if (!Object.keys(h).some((k) => k.toLowerCase() === 'user-agent')) h['user-agent'] = transfers.userAgent;
  return h;
}

export function headerOf(h: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}
