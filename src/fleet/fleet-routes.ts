// GET /v1/fleet (the bridge's state and jobs) and the `fleet` part of GET /v1/health. Cheap to import:
// main.ts wires these even when fleet.mqtt is absent (then the bridge, and MQTT.js, are never loaded).
import type { FleetBridge } from './fleet-bridge.js';

export interface FleetRoute {
  method: string;
  path: string;
  handle(): Promise<{ status?: number; body: unknown }>;
}

export type FleetHealth = { state: 'disabled'; since: null; lastError: null } | ReturnType<FleetBridge['health']>;

export function fleetHealth(bridge: Pick<FleetBridge, 'health'> | null): FleetHealth {
  return bridge ? bridge.health() : { state: 'disabled', since: null, lastError: null };
}

export function fleetRoutes(bridge: () => Pick<FleetBridge, 'health' | 'view'> | null): FleetRoute[] {
  return [
    {
      method: 'GET',
      path: '/v1/fleet',
      handle: async () => {
        const b = bridge();
        return { body: b ? b.view() : { ...fleetHealth(null), jobs: [] } };
      },
    },
  ];
}
