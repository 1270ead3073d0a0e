// Rules for device-sync jobs only (POLICY.md §6): a job waits while its (known) device is not there.
// Network rules do not apply: a device job talks to a local device, not the network.
import { reason } from './reasons.js';
import type { Rule } from './rule.js';

const DEVICE_DISCONNECTED = reason('device-disconnected');

export const devicePresent: Rule = (t, { c }, out) => {
  if (t.kind !== 'device-sync' || !t.device || c.devices === undefined) return;
  const presence = c.devices[t.device.id];
  if (presence !== undefined && !presence.present) out.push(DEVICE_DISCONNECTED);
};
