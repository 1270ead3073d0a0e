// settle(): how a stopped attempt becomes a job change. A policy stop by a cost hold carries the hold's
// end, so the waiting record a client sees has its nextAttemptAt in the same change (no window where it
// waits for client-quota or outside-window without saying until when).
import { describe, expect, it } from 'vitest';
import { settle } from '../../src/scheduler/settle.js';
import { record } from '../support/records.js';

const running = record('j1', 'cam', { state: 'running', attempts: 1, bytesTransferred: 10 });
const aborted = { outcome: 'aborted' as const, bytesTransferred: 2048 };
const now = Date.parse('2026-11-26T15:00:00.000Z');

describe('settle after a policy stop', () => {
  it('records the cost hold end as nextAttemptAt with the reasons', () => {
    const until = Date.parse('2026-11-27T00:00:00.000Z');
    const reasons = [{ code: 'client-quota', message: 'q' }];
    const s = settle(running, aborted, { by: 'policy', reasons, until }, now);
    expect(s).toEqual({ event: 'policy-stop', change: { bytesTransferred: 2048, reasons, nextAttemptAt: '2026-11-27T00:00:00.000Z' } });
  });

  it('leaves nextAttemptAt alone for a hold that ends only when conditions change', () => {
    const reasons = [{ code: 'metered', message: 'm' }];
    const s = settle(running, aborted, { by: 'policy', reasons }, now);
    expect(s).toEqual({ event: 'policy-stop', change: { bytesTransferred: 2048, reasons } });
  });

  it('backs a slow transfer off by the retry policy', () => {
    const reasons = [{ code: 'slow-transfer', message: 's' }];
    const s = settle(running, aborted, { by: 'policy', reasons }, now);
    expect(Date.parse(s.change.nextAttemptAt!)).toBeGreaterThan(now);
  });
});
