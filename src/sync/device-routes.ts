// The device routes of the control API: GET /v1/devices and POST /v1/devices/{id}/sync. Shaped like the
// api's Route (method, path, handle) without importing api/: main.ts passes them in as `extra` routes.
import { FerryError } from '../errors.js';
import type { Principal } from '../model/principal.js';
import { publicTransfer } from '../model/public-transfer.js';
import type { DeviceSync } from './device-sync.js';

export interface DeviceRouteArgs {
  caller: Principal & { rights?: readonly string[] };
  params: Record<string, string>;
  body: unknown;
}

export interface DeviceRoute {
  method: string;
  path: string;
  body?: boolean;
  handle(a: DeviceRouteArgs): Promise<{ status?: number; body: unknown }>;
}

export function deviceRoutes(sync: DeviceSync): DeviceRoute[] {
  return [
    {
      method: 'GET',
      path: '/v1/devices',
      // Jobs are shown like transfers: a non-admin sees only its own.
      handle: async ({ caller }) => ({ body: await sync.list((t) => caller.admin || t.owner === caller.name) }),
    },
    {
      method: 'POST',
      path: '/v1/devices/:id/sync',
      body: true,
      handle: async ({ caller, params, body }) => {
        if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new FerryError('BAD_REQUEST', 'the body must be a JSON object');
        const unknown = Object.keys(body)[0];
        if (unknown !== undefined) throw new FerryError('UNKNOWN_FIELD', `${unknown}: unknown field`, { field: unknown });
        // On-demand jobs are user-initiated only for a caller with that right (config clients.list[].rights).
        const r = await sync.syncNow(params.id!, caller, caller.admin || (caller.rights ?? []).includes('userInitiated'));
        return { status: 202, body: { device: r.device, transfers: r.transfers.map(publicTransfer), rotated: r.rotated } };
      },
    },
  ];
}
