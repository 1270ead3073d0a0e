// Wraps the agent's conditions source so every snapshot also says which devices are present
// (`devices`), and a presence change is a change of conditions: the scheduler re-decides at once.
// The combined snapshot is built once per change, so `current()` stays as cheap as the inner one.
import type { Conditions, ConditionsSource } from '../conditions/snapshot.js';
import type { DevicePresenceTracker } from './device-presence.js';
import { Listeners } from '../conditions/listeners.js';

export function withDevicePresence(inner: ConditionsSource, presence: DevicePresenceTracker): ConditionsSource {
  const listeners = new Listeners<Conditions>();
  let base = inner.current();
  let combined: Conditions = { ...base, devices: presence.snapshot() };
  const rebuild = () => {
    combined = { ...base, devices: presence.snapshot() };
    listeners.emit(combined);
  };
  const offInner = inner.onChange((c) => {
    base = c;
    rebuild();
  });
  const onPresence = () => rebuild();
  presence.on('change', onPresence);
  return {
    current() {
      // The inner source may have changed without telling (static sources re-measure storage).
      const now = inner.current();
      if (now !== base) {
        base = now;
        combined = { ...base, devices: presence.snapshot() };
      }
      return combined;
    },
    onChange(listener) {
      return listeners.add(listener);
    },
    /** Detaches from the inner source and the tracker; whoever made the inner source closes it. */
    async close() {
      offInner();
      presence.off('change', onPresence);
      listeners.clear();
    },
  };
}
