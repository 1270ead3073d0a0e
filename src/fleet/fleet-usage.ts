// The fleet bridge's own bytes (MQTT keepalives, reports, job documents; TLS records included) in the
// usage ledger, under a name no client can take, so `GET /v1/usage` answers "what did the control
// channel cost on cellular yesterday" beside the transfers. Sampled: the link's counters only grow.
import { FLEET_LINK_USAGE } from '../model/principal.js';

export interface FleetUsageDeps {
  traffic: () => { sent: number; received: number };
  count: (client: string, direction: 'rx' | 'tx', n: number) => void;
  everyMs: number;
}

/** Starts sampling; the returned function takes a last sample and stops. */
export function meterFleetTraffic(deps: FleetUsageDeps): () => void {
  let last = { sent: 0, received: 0 };
  const sample = (): void => {
    const now = deps.traffic();
    const tx = now.sent - last.sent;
    const rx = now.received - last.received;
    if (tx > 0) deps.count(FLEET_LINK_USAGE, 'tx', tx);
    if (rx > 0) deps.count(FLEET_LINK_USAGE, 'rx', rx);
    last = { sent: Math.max(now.sent, last.sent), received: Math.max(now.received, last.received) };
  };
  const timer = setInterval(sample, deps.everyMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    sample();
  };
}
