// ferry's control API over its Unix socket (API.md), the same requests `curl --unix-socket` makes.
import { request } from 'node:http';

export interface ApiAnswer<T = unknown> {
  status: number;
  body: T;
}

export function api<T = any>(socket: string, method: string, path: string, body?: unknown, timeoutMs = 10_000): Promise<ApiAnswer<T>> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request(
      { socketPath: socket, method, path, host: 'ferry', timeout: timeoutMs, headers: data ? { 'content-type': 'application/json', 'content-length': data.length } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            // metrics and errors from proxies are not JSON; keep the text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed as T });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(data);
  });
}

/** GET that throws unless 2xx: for polling inside waitFor. */
export async function getOk<T = any>(socket: string, path: string): Promise<T> {
  const r = await api<T>(socket, 'GET', path);
  if (r.status < 200 || r.status > 299) throw new Error(`GET ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

export async function healthy(socket: string): Promise<boolean> {
  try {
    const r = await api<{ status?: string }>(socket, 'GET', '/v1/health', undefined, 3000);
    return r.status === 200 && r.body?.status === 'ok';
  } catch {
    return false;
  }
}

/** null when ferry serves `path` (2xx), else why not: lets feature tests light up as routes land. */
export async function routeMissing(socket: string, path: string, feature: string): Promise<string | null> {
  try {
    const r = await api(socket, 'GET', path, undefined, 5000);
    return r.status >= 200 && r.status < 300 ? null : `${feature} not in this build (GET ${path} answered ${r.status})`;
  } catch (e) {
    return `ferry unreachable at ${socket}: ${(e as Error).message}`;
  }
}
