// When to publish P/G/conditions: on a change that matters to an operator (network kind, metering,
// roaming, power source, charging, battery in 10 % steps, plan state, storage low, device presence) —
// not on every byte of free space or data used — and at most once per conditionsMinIntervalS.
import type { Conditions } from '../conditions/snapshot.js';

export function conditionsKey(c: Conditions): string {
  const b = c.power.batteryPercent;
  return JSON.stringify([
    c.network.kind, c.network.metered, c.network.roaming, c.power.source, c.power.charging,
    b === null ? null : Math.round(b / 10), c.dataPlan.state, c.storage.low,
    Object.entries(c.devices ?? {}).map(([id, d]) => [id, d.present]),
  ]);
}

export interface ConditionsReporterDeps {
  current(): Conditions;
  minIntervalMs: number;
  /** Sends the snapshot; false when not connected (it is sent on the next connect). */
  send(c: Conditions): boolean;
  now?: () => number;
}

export function createConditionsReporter(deps: ConditionsReporterDeps) {
  const now = deps.now ?? Date.now;
  let sentKey: string | null = null;
  let sentAt = -Infinity;
  let timer: NodeJS.Timeout | null = null;
  const check = (): void => {
    if (timer) return;
    const c = deps.current();
    if (conditionsKey(c) === sentKey) return;
    const wait = sentAt + deps.minIntervalMs - now();
    if (wait > 0) {
      timer = setTimeout(() => {
        timer = null;
        check();
      }, wait);
      timer.unref();
      return;
    }
    if (deps.send(c)) {
      sentKey = conditionsKey(c);
      sentAt = now();
    }
  };
  return {
    /** On every conditions change and on every (re)connect. */
    check,
    stop() {
      if (timer) clearTimeout(timer);
    },
  };
}
