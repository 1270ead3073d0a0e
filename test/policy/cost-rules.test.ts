// The cost rules through decide(): a job's own window, network windows for background work, client
// daily quotas, and how they combine with backoff (nextAttemptAt) — one row per behaviour.
import { describe, expect, it } from 'vitest';
import { defaultConfig, validateConfig } from '../../src/config/load.js';
import { createCostContext } from '../../src/policy/cost-rules.js';
import { decide, type Decision } from '../../src/policy/decide.js';
import { cellular, conditions, transfer, wifi, type ConditionsPatch, type TransferPatch } from './fixtures.js';

const ZONE = 'Europe/Berlin';
const base = defaultConfig();
const policy = {
  ...base.policy,
  windows: { night: [{ days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], start: '01:00', end: '05:00' }] },
  networkWindows: { cellular: 'night' },
};
const clients = { list: [{ name: 'cam', uids: [1001], admin: false, dailyBytes: { cellular: 1000 } }] };
// 2026-01-15 12:00 in Berlin (11:00Z): outside the night window, which opens 2026-01-16T00:00Z.
const NOON = Date.parse('2026-01-15T11:00:00.000Z');
const NIGHT = Date.parse('2026-01-16T02:00:00.000Z');
const OPENS = '2026-01-16T00:00:00.000Z';

function run(t: TransferPatch & { owner?: string; window?: string | null }, c: ConditionsPatch, now: number, used = 0): Decision {
  const cost = createCostContext({ policy, clients, now, zone: ZONE, usedToday: () => used });
  return decide(transfer(t), conditions(c), policy, now, undefined, false, cost);
}
const codes = (d: Decision) => (d.action === 'wait' ? d.reasons.map((r) => r.code) : d.action);

describe('cost rules', () => {
  it('a job naming a window waits outside it, with the opening as until and in the message', () => {
    const d = run({ window: 'night' }, { network: wifi }, NOON);
    expect(codes(d)).toEqual(['outside-window']);
    expect(d.action === 'wait' && d.until).toBe(Date.parse(OPENS));
    expect(d.action === 'wait' && d.reasons[0]!.message).toContain(OPENS);
  });
  it('a job naming a window runs inside it', () => {
    expect(run({ window: 'night' }, { network: wifi }, NIGHT)).toEqual({ action: 'run' });
  });
  it('background work on cellular waits for the network window; Wi-Fi does not', () => {
    const c = { network: cellular(), };
    expect(codes(run({ preferences: 'allowCellularAndBattery' }, c, NOON))).toEqual(['outside-window']);
    expect(run({ preferences: 'allowCellularAndBattery' }, c, NIGHT)).toEqual({ action: 'run' });
    expect(run({}, { network: wifi }, NOON)).toEqual({ action: 'run' });
  });
  it('user-initiated work on cellular ignores the network window', () => {
    expect(run({ preferences: 'allowCellularAndBattery', userInitiated: true }, { network: cellular() }, NOON)).toEqual({ action: 'run' });
  });
  it('device-sync jobs ignore the network window but obey their own', () => {
    expect(run({ kind: 'device-sync', totalBytes: null }, { network: cellular() }, NOON)).toEqual({ action: 'run' });
    expect(codes(run({ kind: 'device-sync', totalBytes: null, window: 'night' }, { network: cellular() }, NOON))).toEqual(['outside-window']);
  });
  it('a client over its daily cellular bytes waits until the next local midnight', () => {
    const d = run({ owner: 'cam', preferences: 'allowCellularAndBattery' }, { network: cellular() }, NIGHT, 1000);
    expect(codes(d)).toEqual(['client-quota']);
    expect(d.action === 'wait' && new Date(d.until!).toISOString()).toBe('2026-01-16T23:00:00.000Z');
    expect(run({ owner: 'cam', preferences: 'allowCellularAndBattery' }, { network: cellular() }, NIGHT, 999)).toEqual({ action: 'run' });
    expect(run({ owner: 'cam' }, { network: wifi }, NOON, 10_000)).toEqual({ action: 'run' });
  });
  it('a nextAttemptAt set from the window opening is not shown as a backoff; a longer backoff is', () => {
    expect(codes(run({ window: 'night', nextAttemptAt: OPENS }, { network: wifi }, NOON))).toEqual(['outside-window']);
    expect(codes(run({ window: 'night', nextAttemptAt: '2026-01-16T03:00:00.000Z' }, { network: wifi }, NOON))).toEqual(['outside-window', 'backoff-until']);
  });
  it('a window name missing from the config holds the job (it never opens)', () => {
    const d = run({ window: 'gone' }, { network: wifi }, NOON);
    expect(codes(d)).toEqual(['outside-window']);
    expect(d.action === 'wait' && d.until).toBeUndefined();
  });
  it('wakes the scheduler at the next edge of an evaluated window, at most WINDOW_RECHECK_MS ahead', () => {
    const late = Date.parse('2026-01-16T03:59:55.000Z');
    const cost = createCostContext({ policy, clients, now: late, zone: ZONE });
    cost.window('night');
    expect(cost.wakeAt()).toBe(Date.parse('2026-01-16T04:00:00.000Z'));
    const cost2 = createCostContext({ policy, clients, now: NOON, zone: ZONE });
    cost2.window('night');
    expect(cost2.wakeAt()).toBe(NOON + 15_000);
  });
  it('config check names unknown windows and zones', () => {
    const r = validateConfig({ policy: { windows: { night: [{ days: ['mon'], start: '01:00', end: '05:00' }] }, networkWindows: { cellular: 'nite' }, bandwidth: [{ network: 'cellular', bytesPerSecond: 65536, window: 'day' }], timeZone: 'Mars/Olympus' } });
    expect(r.issues.map((i) => i.path)).toEqual(['policy.networkWindows.cellular', 'policy.bandwidth[0].window', 'policy.timeZone']);
    expect(validateConfig({ policy: { windows: { night: [{ days: ['mon'], start: '1:00', end: '05:00' }] } } }).issues[0]?.path).toBe('policy.windows.night[0].start');
  });
});

describe('device sync windows', () => {
  it('a triggered device job carries its device\'s when.window; an on-demand one does not wait', async () => {
    const { buildDeviceJob } = await import('../../src/sync/device-job.js');
    const r = validateConfig({
      policy: { windows: policy.windows },
      devices: [{ id: 'gps', protocol: 'lines', transport: { kind: 'udp', host: '127.0.0.1', port: 9 }, when: { window: 'night' } }],
    });
    expect(r.issues).toEqual([]);
    const d = r.config!.devices[0]!;
    const item = { remote: '/log', local: null } as never;
    expect(buildDeviceJob({ device: d, op: 'pull', item, owner: 'device-sync', now: new Date(NOON) }).window).toBe('night');
    expect(buildDeviceJob({ device: d, op: 'pull', item, owner: 'device-sync', userInitiated: true, now: new Date(NOON) }).window).toBeNull();
    expect(validateConfig({ devices: [{ id: 'gps', transport: { kind: 'udp', host: '127.0.0.1', port: 9 }, when: { window: 'nope' } }] }).issues[0]?.path).toBe('devices[0].when.window');
  });
});
