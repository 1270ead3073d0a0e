// A ferryd with fleet.mqtt pointing at a test broker as gateway `gw` (its password from the broker's
// secret file), with short reconnect delays so tests do not wait on the production backoff.
import { AgentProcess } from './agent.js';
import type { Mosquitto } from './mosquitto.js';

/** Start timeout for agents in broker tests: CI machines here run several suites on 2 cores. */
export const AGENT_START_MS = 45_000;

export function fleetAgent(broker: Mosquitto, gw: string, extra: Record<string, unknown> = {}): AgentProcess {
  return new AgentProcess({
    fleet: {
      mqtt: {
        url: broker.url,
        gatewayId: gw,
        username: gw,
        passwordFile: broker.secretFile(gw),
        keepaliveS: 10,
        reconnectMinS: 0.2,
        reconnectMaxS: 1,
        ...extra,
      },
    },
  });
}
