// Sample API bodies (API.md shapes) for the formatting tests: a transfer with test-friendly defaults
// and a conditions snapshot. Data only; the commands' tests run against the real ferryd.
import { randomUUID } from 'node:crypto';
import type { ApiTransfer } from '../../src/cli/client.js';
import type { Conditions } from '../../src/conditions/snapshot.js';

export const CONDITIONS: Conditions = {
  network: { kind: 'cellular', interface: 'wwan0', generation: '4g', metered: true, roaming: false },
  power: { source: 'battery', batteryPercent: 62, charging: false },
  dataPlan: { state: 'ok', usedBytes: 123_000_000, limitBytes: 1_000_000_000 },
  storage: { freeBytes: 12_000_000_000, low: false },
  sources: { network: 'networkmanager', modem: 'modemmanager', power: 'sysfs' },
};

export function makeTransfer(over: Partial<ApiTransfer> = {}): ApiTransfer {
  return {
    id: randomUUID(),
    owner: 'tester',
    url: 'https://example.org/fw.bin',
    method: 'GET',
    direction: 'download',
    path: 'fw/fw.bin',
    protocol: 'plain',
    state: 'queued',
    reasons: [],
    bytesTransferred: 0,
    totalBytes: 50_331_648,
    attempts: 0,
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
    error: null,
    warnings: [],
    preferences: 'allowBattery',
    constraints: { unmetered: false, charging: false, batteryNotLow: false, storageNotLow: true },
    userInitiated: false,
    expedited: false,
    tag: null,
    ...over,
  };
}
