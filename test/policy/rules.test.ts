// One case (or a few) per row of POLICY.md §3, each named after its row. The §4 reason catalogue is in
// reasons.test.ts; §2 preferences/constraints and the edges (cap boundaries, growth, device sync) in edges.test.ts.
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import type { Preferences } from '../../src/model/job.js';
import {
  checkEnqueue,
  compareForRun,
  decide,
  selectToRun,
  type Decision,
  type PolicyConfig,
  type RunStats,
} from '../../src/policy/decide.js';
import { reason, type ReasonCode } from '../../src/policy/reasons.js';
import { battery, cellular, conditions, MiB, NOW, transfer, wifi, type ConditionsPatch, type TransferPatch } from './fixtures.js';

const policy = defaultConfig().policy;

type Expect = 'run' | { wait: ReasonCode[]; switchTo?: Preferences } | { fail: ReasonCode };
interface Case {
  name: string;
  t?: TransferPatch;
  c?: ConditionsPatch;
  run?: RunStats;
  othersWaiting?: boolean;
  p?: Partial<PolicyConfig>;
  expect: Expect;
}

function shape(d: Decision): Expect {
  if (d.action === 'run') return 'run';
  if (d.action === 'fail') return { fail: d.reason.code as ReasonCode };
  const w: { wait: ReasonCode[]; switchTo?: Preferences } = { wait: d.reasons.map((r) => r.code as ReasonCode) };
  if (d.switchPreferences) w.switchTo = d.switchPreferences;
  return w;
}

function decideCase(k: Case): Decision {
  return decide(transfer(k.t), conditions(k.c), { ...policy, ...k.p }, NOW, k.run, k.othersWaiting ?? false);
}

const both: TransferPatch = { preferences: 'allowCellularAndBattery' };
const up = (mib: number, extra: TransferPatch = {}): TransferPatch => ({ ...both, direction: 'upload', totalBytes: mib * MiB, ...extra });
const down = (mib: number | null, extra: TransferPatch = {}): TransferPatch => ({
  ...both,
  direction: 'download',
  totalBytes: mib === null ? null : mib * MiB,
  ...extra,
});
const running = (sinceS: number, bytesAt: Array<[number, number]>): RunStats => ({
  startedAtMs: NOW - sinceS * 1000,
  samples: bytesAt.map(([agoS, bytes]) => ({ atMs: NOW - agoS * 1000, bytes })),
});
const iso = (ms: number) => new Date(ms).toISOString();

/** POLICY.md §3, row by row (the rule's name first). */
const ROWS: Record<string, Case[]> = {
  'upload size cap': [
    { name: '5 MB over cellular runs (the cap is inclusive)', t: up(5), c: { network: cellular() }, expect: 'run' },
    { name: 'over 5 MB waits on cellular', t: up(6), c: { network: cellular() }, expect: { wait: ['too-large-for-cellular'] } },
    { name: '20 MB on Wi-Fi with battery runs', t: up(20), c: { network: wifi, power: battery() }, expect: 'run' },
    { name: 'over 20 MB waits on battery', t: up(21), c: { network: wifi, power: battery() }, expect: { wait: ['too-large-for-battery'] } },
    { name: '100 MB on external power runs', t: up(100), expect: 'run' },
    { name: 'over every cap fails', t: up(101), expect: { fail: 'too-large-for-any-cap' } },
    {
      name: 'on cellular and battery both caps are named',
      t: up(30),
      c: { network: cellular(), power: battery() },
      expect: { wait: ['too-large-for-cellular', 'too-large-for-battery'] },
    },
  ],
  'download over cellular': [
    { name: '20 MB runs', t: down(20), c: { network: cellular() }, expect: 'run' },
    {
      name: 'larger is switched to need Wi-Fi (allowBattery) and waits',
      t: down(48),
      c: { network: cellular() },
      expect: { wait: ['needs-wifi'], switchTo: 'allowBattery' },
    },
    {
      name: 'allowCellular loses cellular but keeps its external-power demand',
      t: down(48, { preferences: 'allowCellular' }),
      c: { network: cellular() },
      expect: { wait: ['needs-wifi'], switchTo: 'none' },
    },
    {
      name: 'once switched it keeps waiting without a new switch',
      t: down(48, { preferences: 'allowBattery' }),
      c: { network: cellular() },
      expect: { wait: ['needs-wifi'] },
    },
    { name: 'once switched it runs on Wi-Fi', t: down(48, { preferences: 'allowBattery' }), c: { network: wifi }, expect: 'run' },
  ],
  'download on Wi-Fi without external power': [
    { name: '100 MB with allowBattery runs', t: down(100, { preferences: 'allowBattery' }), c: { network: wifi, power: battery() }, expect: 'run' },
    {
      name: 'larger with a battery-allowing preference fails',
      t: down(101, { preferences: 'allowBattery' }),
      c: { network: wifi, power: battery() },
      expect: { fail: 'needs-preferences-none' },
    },
    {
      name: 'larger fails even while on external power (the outcome does not depend on timing)',
      t: down(101, { preferences: 'allowCellularAndBattery' }),
      expect: { fail: 'needs-preferences-none' },
    },
    {
      name: 'larger with preferences none waits for external power',
      t: down(500, { preferences: 'none' }),
      c: { network: wifi, power: battery() },
      expect: { wait: ['needs-external-power'] },
    },
    { name: 'larger with preferences none runs on Wi-Fi and external power', t: down(500, { preferences: 'none' }), c: { network: wifi }, expect: 'run' },
    {
      name: 'unknown size waits on battery',
      t: down(null, { preferences: 'allowBattery' }),
      c: { network: wifi, power: battery() },
      expect: { wait: ['unknown-size'] },
    },
    { name: 'unknown size waits on cellular', t: down(null), c: { network: cellular() }, expect: { wait: ['unknown-size'] } },
    { name: 'unknown size runs on Wi-Fi with external power', t: down(null), c: { network: wifi }, expect: 'run' },
    {
      name: 'unknown size runs anywhere when the config says allow',
      t: down(null),
      c: { network: cellular(), power: battery() },
      p: { unknownSize: 'allow' },
      expect: 'run',
    },
  ],
  'slow 2G networks (GPRS, EDGE, GSM)': [
    { name: 'background work waits', t: down(1), c: { network: cellular({ generation: '2g' }) }, expect: { wait: ['slow-network-2g'] } },
    { name: 'user-initiated runs', t: down(1, { userInitiated: true }), c: { network: cellular({ generation: '2g' }) }, expect: 'run' },
    { name: 'background runs on 3G', t: down(1), c: { network: cellular({ generation: '3g' }) }, expect: 'run' },
  ],
  roaming: [
    { name: 'everything pauses', t: down(1), c: { network: cellular({ roaming: true }) }, expect: { wait: ['roaming'] } },
    {
      name: 'user-initiated pauses too by default',
      t: down(1, { userInitiated: true }),
      c: { network: cellular({ roaming: true }) },
      expect: { wait: ['roaming'] },
    },
    {
      name: 'config may let user-initiated run',
      t: down(1, { userInitiated: true }),
      c: { network: cellular({ roaming: true }) },
      p: { roamingAllowUserInitiated: true },
      expect: 'run',
    },
    { name: 'a roaming modem does not matter while Wi-Fi is the active link', t: down(1), c: { network: { ...wifi, roaming: true } }, expect: 'run' },
  ],
  'data plan approaching': [
    { name: 'transfers proceed', t: down(1), c: { network: cellular(), dataPlan: { state: 'approaching' } }, expect: 'run' },
  ],
  'data plan over': [
    { name: 'background waits', t: down(1), c: { network: cellular(), dataPlan: { state: 'over' } }, expect: { wait: ['over-data-plan'] } },
    { name: 'user-initiated proceeds', t: down(1, { userInitiated: true }), c: { network: cellular(), dataPlan: { state: 'over' } }, expect: 'run' },
    { name: 'does not hold work on Wi-Fi', t: down(1), c: { network: wifi, dataPlan: { state: 'over' } }, expect: 'run' },
  ],
  'metered network + constraint unmetered': [
    {
      name: 'waits on a metered link',
      t: down(1, { constraints: { unmetered: true } }),
      c: { network: { ...wifi, metered: true } },
      expect: { wait: ['metered'] },
    },
    { name: 'without the constraint a metered link is fine', t: down(1), c: { network: cellular() }, expect: 'run' },
  ],
  'slow transfer': [
    {
      name: 'under 50 kbit/s over a full window on cellular pauses',
      t: down(10, { state: 'running' }),
      c: { network: cellular() },
      run: running(61, [[61, 0], [1, 300_000]]), // ≈ 39 kbit/s
      expect: { wait: ['slow-transfer'] },
    },
    {
      name: 'the same rate is enough on cellular once above 50 kbit/s',
      t: down(10, { state: 'running' }),
      c: { network: cellular() },
      run: running(61, [[61, 0], [1, 600_000]]), // ≈ 79 kbit/s
      expect: 'run',
    },
    {
      name: 'under 100 kbit/s on Wi-Fi pauses',
      t: down(10, { state: 'running' }),
      c: { network: wifi },
      run: running(61, [[61, 0], [1, 600_000]]),
      expect: { wait: ['slow-transfer'] },
    },
    {
      name: 'measures only the last window',
      t: down(10, { state: 'running' }),
      c: { network: wifi },
      run: running(200, [[200, 0], [70, 100_000], [59, 100_000], [1, 1_500_000]]), // last 60 s ≈ 160 kbit/s
      expect: 'run',
    },
    {
      name: 'a stall since the last sample counts',
      t: down(10, { state: 'running' }),
      c: { network: wifi },
      run: running(200, [[200, 0], [60, 5 * MiB]]),
      expect: { wait: ['slow-transfer'] },
    },
    {
      name: 'is not judged before a full window',
      t: down(10, { state: 'running' }),
      c: { network: wifi },
      run: running(59, [[59, 0]]),
      expect: 'run',
    },
  ],
  'no progress': [
    // The engine aborts the attempt after 120 s without a byte; the policy's part is the backoff that follows.
    { name: 'waits out the backoff', t: down(1, { nextAttemptAt: iso(NOW + 30_000) }), expect: { wait: ['backoff-until'] } },
    { name: 'runs once the backoff is over', t: down(1, { nextAttemptAt: iso(NOW) }), expect: 'run' },
  ],
  'execution window': [
    {
      name: 'background work yields after 10 min when others wait',
      t: down(10, { state: 'running' }),
      run: running(600, [[600, 0], [0, 9 * MiB]]),
      othersWaiting: true,
      expect: { wait: ['window-exhausted'] },
    },
    {
      name: 'keeps running while nobody waits',
      t: down(10, { state: 'running' }),
      run: running(900, [[900, 0], [61, 8 * MiB], [0, 9 * MiB]]),
      expect: 'run',
    },
    {
      name: 'keeps running inside its slice',
      t: down(10, { state: 'running' }),
      run: running(599, [[599, 0], [0, 9 * MiB]]),
      othersWaiting: true,
      expect: 'run',
    },
    {
      name: 'user-initiated work is never interrupted for fairness',
      t: down(10, { state: 'running', userInitiated: true }),
      run: running(3600, [[3600, 0], [61, 8 * MiB], [0, 9 * MiB]]),
      othersWaiting: true,
      expect: 'run',
    },
  ],
};

describe('POLICY.md §3 rules', () => {
  for (const [row, cases] of Object.entries(ROWS)) {
    describe(row, () => {
      it.each(cases.map((k) => [k.name, k] as const))(`${row}: %s`, (_name, k) => {
        expect(shape(decideCase(k))).toEqual(k.expect);
      });
    });
  }

  describe('concurrency', () => {
    it('concurrency: starts at most 2 across the agent and holds the rest', () => {
      const ids = ['a', 'b', 'c', 'd'].map((id) => ({ id }));
      expect(selectToRun(ids, 0, policy)).toEqual({ start: ['a', 'b'], limited: ['c', 'd'] });
      expect(selectToRun(ids, 1, policy)).toEqual({ start: ['a'], limited: ['b', 'c', 'd'] });
      expect(selectToRun(ids, 3, policy)).toEqual({ start: [], limited: ['a', 'b', 'c', 'd'] });
      expect(selectToRun(ids, 0, { concurrency: 3 }).start).toEqual(['a', 'b', 'c']);
    });

    it('concurrency: orders expedited, then user-initiated, then oldest first', () => {
      const mk = (id: string, createdAt: string, expedited = false, userInitiated = false) => ({
        id,
        ...transfer({ createdAt, expedited, userInitiated }),
      });
      const list = [
        mk('old', '2025-01-01T00:00:00.000Z'),
        mk('new', '2025-02-01T00:00:00.000Z'),
        mk('user', '2025-03-01T00:00:00.000Z', false, true),
        mk('exp', '2025-04-01T00:00:00.000Z', true),
        mk('exp-user', '2025-05-01T00:00:00.000Z', true, true),
      ];
      expect(list.sort(compareForRun).map((x) => x.id)).toEqual(['exp-user', 'exp', 'user', 'old', 'new']);
    });

    it('concurrency: its reason names the limit', () => {
      expect(reason('concurrency-limit', { limit: 2 }).message).toBe('waits for a free slot: 2 transfers already running (the limit)');
    });
  });

  // POLICY.md rows the policy has no say in, and the tests that cover them:
  // - queue limits (26th per client / 501st overall → QUOTA_EXCEEDED): test/queue/store.test.ts
  //   "refuses the 26th outstanding transfer of a client…", "refuses transfers past the agent-wide limit";
  //   over the API: test/e2e/api.test.ts "queues, pauses, resumes, cancels and removes, enforcing the per-client quota".
  // - finished transfers stay listed and count toward the quota: test/queue/store.test.ts
  //   "refuses the 26th outstanding transfer of a client, finished ones included, and frees a slot on remove".
  // - server support (no-range-support warning): test/transfer/download-resume.test.ts
  //   "warns no-range-support and restarts from zero when the server ignores Range".
  // - resume with Range + If-Range: test/transfer/download-resume.test.ts "resumes after a connection dropped
  //   mid-body…", "restarts from zero with the new content when the ETag changed between attempts".
});
