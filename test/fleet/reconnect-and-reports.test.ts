// The bridge's timing rules in fake time: reconnect backoff with jitter, conditions reports on meaningful
// change at most once per interval.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import type { Conditions } from '../../src/conditions/snapshot.js';
import { createLogger } from '../../src/log.js';
import { conditionsKey, createConditionsReporter } from '../../src/fleet/conditions-report.js';
import { MqttLink } from '../../src/fleet/mqtt-link.js';

const cfg = validateConfig({ fleet: { mqtt: { url: 'mqtt://127.0.0.1:1', gatewayId: 'gw' } } }).config!.fleet.mqtt!;
const base: Conditions = {
  network: { kind: 'cellular', interface: 'wwan0', generation: '4g', metered: true, roaming: false },
  power: { source: 'battery', batteryPercent: 62, charging: false },
  dataPlan: { state: 'ok', usedBytes: 1, limitBytes: null },
  storage: { freeBytes: 1000, low: false },
  sources: {},
};

afterEach(() => vi.useRealTimers());

describe('reconnect backoff', () => {
  it('doubles from reconnectMinS to reconnectMaxS with equal jitter (half to all of the step)', () => {
    let r = 0;
    const link = new MqttLink({ cfg, clientId: 'x', subscriptions: [], will: { topic: 't', payload: '' }, log: createLogger('silent'), onMessage: async () => {}, onConnect: () => {}, random: () => r });
    const steps: Array<[number, number]> = [];
    for (let i = 0; i < 10; i++) {
      r = 0;
      const lo = link.nextDelayMs();
      r = 1;
      const hi = link.nextDelayMs();
      steps.push([lo, hi]);
      (link as unknown as { failures: number }).failures += 1;
    }
    expect(steps.slice(0, 4)).toEqual([[2500, 5000], [5000, 10000], [10000, 20000], [20000, 40000]]);
    expect(steps[9]).toEqual([300_000, 600_000]);
  });
});

describe('conditions reports', () => {
  it('ignore free space and bytes used, report a network change at once and the next one after the interval', () => {
    vi.useFakeTimers();
    let now = 0;
    let current = base;
    const sent: Conditions[] = [];
    const rep = createConditionsReporter({ current: () => current, minIntervalMs: 300_000, send: (c) => (sent.push(c), true), now: () => now });
    rep.check();
    expect(sent).toHaveLength(1);
    current = { ...base, storage: { freeBytes: 5, low: false }, dataPlan: { ...base.dataPlan, usedBytes: 99 } };
    rep.check();
    expect(sent).toHaveLength(1);
    expect(conditionsKey(current)).toBe(conditionsKey(base));
    now = 10_000;
    current = { ...base, network: { ...base.network, kind: 'wifi', metered: false } };
    rep.check();
    expect(sent).toHaveLength(1); // rate-limited: due at 300 s
    now = 300_000;
    vi.advanceTimersByTime(290_000);
    expect(sent).toHaveLength(2);
    expect(sent[1]!.network.kind).toBe('wifi');
    rep.stop();
  });

  it('retries on the next check when it could not send (not connected)', () => {
    let connected = false;
    const sent: Conditions[] = [];
    const rep = createConditionsReporter({ current: () => base, minIntervalMs: 1000, send: (c) => (connected ? (sent.push(c), true) : false), now: () => 0 });
    rep.check();
    connected = true;
    rep.check();
    expect(sent).toHaveLength(1);
  });
});
