// POLICY.md §4: every reason code with its human sentence, as the API, CLI and logs show it.
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import { decide } from '../../src/policy/decide.js';
import { REASON_CODES, reason, type ReasonCode } from '../../src/policy/reasons.js';
import { cellular, conditions, MiB, NOW, transfer } from './fixtures.js';

const policy = defaultConfig().policy;

/** POLICY.md §4: every reason code with its sentence (params as the policy passes them). */
const MESSAGES: Record<ReasonCode, [Parameters<typeof reason>[1], string]> = {
  'no-network': [undefined, 'waits for a network connection'],
  roaming: [undefined, 'waits: the cellular link is roaming, transfers pause while roaming'],
  'slow-network-2g': [undefined, 'waits for 3G or better: on 2G only user-initiated transfers run'],
  'over-data-plan': [undefined, 'waits: the cellular data plan is used up, only user-initiated transfers run'],
  'needs-wifi': [{ sizeBytes: 50331648, capBytes: 20 * MiB }, 'waits for Wi-Fi or Ethernet: 48 MB is over the 20 MB cellular cap'],
  'too-large-for-cellular': [
    { sizeBytes: 6 * MiB, capBytes: 5 * MiB },
    'waits for Wi-Fi or Ethernet: 6 MB is over the 5 MB cellular upload cap',
  ],
  metered: [undefined, 'waits for an unmetered network (constraint unmetered)'],
  'unknown-size': [undefined, 'waits for Wi-Fi or Ethernet and external power: the size is not known and may be large'],
  'needs-external-power': [undefined, 'waits for external power: its preferences do not allow running on battery'],
  'too-large-for-battery': [
    { sizeBytes: 30 * MiB + MiB / 2, capBytes: 20 * MiB },
    'waits for external power: 30.5 MB is over the 20 MB upload cap on battery',
  ],
  'needs-charging': [undefined, 'waits for external power or charging (constraint charging)'],
  'battery-low': [
    { batteryPercent: 12, thresholdPercent: 15 },
    'waits: the battery is at 12 %, at or under 15 % (constraint batteryNotLow)',
  ],
  'storage-low': [{ freeBytes: 150 * MiB }, 'waits: storage is low, 150 MB free (constraint storageNotLow)'],
  'backoff-until': [{ untilMs: NOW + 30_000 }, 'waits until 2025-03-01T12:00:30.000Z before the next attempt (backoff)'],
  'slow-transfer': [
    { rateBitsPerS: 39_344, floorBitsPerS: 50_000, windowS: 60, network: 'cellular' },
    'paused: 39 kbit/s over the last 60 s is under the 50 kbit/s floor for cellular; retries later with backoff',
  ],
  'window-exhausted': [
    { windowS: 600 },
    'paused so others get a turn: it used its 10 min time slice; it resumes where it stopped',
  ],
  'concurrency-limit': [{ limit: 2 }, 'waits for a free slot: 2 transfers already running (the limit)'],
  'device-disconnected': [undefined, 'waits for the device to connect'],
  'outside-window': [
    { windowName: 'night', network: 'cellular', opensAtMs: Date.parse('2026-01-16T00:00:00Z') },
    'waits for the window "night" (cellular background work runs only inside it): it opens at 2026-01-16T00:00:00.000Z',
  ],
  'client-quota': [
    { client: 'cam', usedBytes: 300 * 1024 * 1024, limitBytes: 300 * 1024 * 1024, network: 'cellular', opensAtMs: Date.parse('2026-01-16T23:00:00Z') },
    'waits: client "cam" moved 300 MB of its 300 MB daily cellular allowance today; background work resumes at 2026-01-16T23:00:00.000Z',
  ],
  'storage-floor': [
    { fileSystem: 'state', freeBytes: 40 * MiB, capBytes: 64 * MiB },
    'waits: the state file system has 40 MB free, under the 64 MB floor the agent keeps (no client can lift it)',
  ],
  'state-storage-full': [
    { errorCode: 'STORAGE_FULL' },
    "waits: the disk of the agent's state database is full; resumes when writes succeed again",
  ],
  'too-large-for-any-cap': [
    { sizeBytes: 101 * MiB, capBytes: 100 * MiB },
    'cannot run: 101 MB is over the largest upload cap (100 MB, Wi-Fi or Ethernet on external power)',
  ],
  'needs-preferences-none': [
    { sizeBytes: 1.5 * 1024 * MiB, capBytes: 100 * MiB },
    'cannot run: 1.5 GB is over the 100 MB download cap without external power; ' +
      'a download this large needs preferences "none" (Wi-Fi or Ethernet and external power)',
  ],
};

describe('POLICY.md §4 reasons', () => {
  it('names every code POLICY.md §4 lists (backoff-until carries its time in the message)', () => {
    const listed = ['needs-wifi', 'needs-external-power', 'roaming', 'over-data-plan', 'slow-network-2g', 'too-large-for-cellular',
      'metered', 'storage-low', 'concurrency-limit', 'backoff-until', 'window-exhausted'];
    for (const code of listed) expect(REASON_CODES).toContain(code);
  });

  it('has a message test for every code, and no code without one', () => {
    expect(Object.keys(MESSAGES).sort()).toEqual([...REASON_CODES].sort());
  });

  it.each(REASON_CODES.map((c) => [c]))('%s reads as a sentence with its parameters', (code) => {
    const [params, message] = MESSAGES[code];
    expect(reason(code, params)).toEqual({ code, message });
  });

  it('needs-wifi without a size says the preferences are the cause', () => {
    expect(reason('needs-wifi').message).toBe('waits for Wi-Fi or Ethernet: its preferences do not allow cellular');
  });

  it('shows exact bytes when rounding would hide that a size is over its cap', () => {
    expect(reason('too-large-for-cellular', { sizeBytes: 5 * MiB + 1, capBytes: 5 * MiB }).message).toBe(
      'waits for Wi-Fi or Ethernet: 5242881 bytes is over the 5 MB cellular upload cap',
    );
  });

  it('every wait reason decide returns carries the catalogue sentence', () => {
    const d = decide(transfer({ totalBytes: 48 * MiB, preferences: 'allowCellularAndBattery' }), conditions({ network: cellular() }), policy, NOW);
    expect(d).toEqual({
      action: 'wait',
      reasons: [{ code: 'needs-wifi', message: 'waits for Wi-Fi or Ethernet: 48 MB is over the 20 MB cellular cap' }],
      switchPreferences: 'allowBattery',
    });
  });
});
