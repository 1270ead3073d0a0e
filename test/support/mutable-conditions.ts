// A ConditionsSource whose snapshot a test sets directly: for scheduler tests that are about decisions,
// not about reading the world (the readers have their own tests against a real bus and sysfs trees).
import type { Conditions, ConditionsSource } from '../../src/conditions/snapshot.js';

export function wiredExternal(): Conditions {
  return {
    network: { kind: 'ethernet', interface: 'eth0', generation: null, metered: false, roaming: false },
    power: { source: 'external', batteryPercent: null, charging: false },
    dataPlan: { state: 'ok', usedBytes: 0, limitBytes: null },
    storage: { freeBytes: 10 * 1024 ** 3, low: false },
    sources: { network: 'test', power: 'test' },
  };
}

export class MutableConditions implements ConditionsSource {
  private listeners = new Set<(c: Conditions) => void>();
  constructor(private snapshot: Conditions = wiredExternal()) {}
  current(): Conditions {
    return this.snapshot;
  }
  set(patch: (c: Conditions) => void): void {
    const next = structuredClone(this.snapshot);
    patch(next);
    this.snapshot = next;
    for (const l of this.listeners) l(next);
  }
  onChange(listener: (c: Conditions) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  async close(): Promise<void> {
    this.listeners.clear();
  }
}
