// Retry delay from a transfer's retry policy; a server's Retry-After wins when it asks for longer.
import type { RetryPolicy } from '../model/job.js';

export function retryDelayMs(retry: RetryPolicy, attempts: number, retryAfterMs: number | null): number {
  const n = Math.max(1, attempts);
  const base =
    retry.backoff === 'linear' ? retry.initialDelayS * n : retry.initialDelayS * 2 ** Math.min(n - 1, 30);
  const capped = Math.min(base, retry.maxDelayS) * 1000;
  return Math.max(capped, retryAfterMs ?? 0);
}
