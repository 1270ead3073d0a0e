// A complete Job with test-friendly defaults; override what a test is about.
import type { HttpJob } from '../../src/model/job.js';

export function record(id: string, owner = 'a', over: Partial<HttpJob> = {}): HttpJob {
  const now = new Date().toISOString();
  return {
    id, kind: 'http', owner, url: 'http://127.0.0.1/x', method: 'GET', direction: 'download', path: `${id}.bin`,
    protocol: 'plain', headers: {}, preferences: 'allowBattery',
    constraints: { unmetered: false, charging: false, batteryNotLow: false, storageNotLow: true },
    userInitiated: false, expedited: false, sha256: null,
    retry: { backoff: 'exponential', initialDelayS: 30, maxDelayS: 3600, maxAttempts: 10 },
    periodicMinutes: null, tag: null, window: null, state: 'queued', reasons: [], bytesTransferred: 0, totalBytes: null,
    attempts: 0, createdAt: now, updatedAt: now, error: null, lastError: null, warnings: [], resume: {},
    nextAttemptAt: null, seq: 0, ...over,
  };
}
