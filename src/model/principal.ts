// Who puts work into the queue: a client on the socket (its uid from SO_PEERCRED) or one of the agent's
// own named sources. System principals are constants, never forged callers.
export interface Principal {
  name: string;
  /** The peer's uid; null for the agent's own sources. */
  uid: number | null;
  admin: boolean;
}

/** Device triggers and chained uploads of what devices gave us. */
export const DEVICE_SYNC: Principal = Object.freeze({ name: 'device-sync', uid: null, admin: false });
/** Jobs from the fleet bridge (MQTT). */
export const FLEET: Principal = Object.freeze({ name: 'fleet', uid: null, admin: false });

/** The fleet bridge's own MQTT bytes in the usage ledger (fleet/fleet-usage.ts). */
export const FLEET_LINK_USAGE = 'fleet-mqtt';

/** Client names a config may not give to a client: the agent's own principals and the implicit ones. */
export const RESERVED_CLIENT_NAMES: readonly string[] = ['root', DEVICE_SYNC.name, FLEET.name, FLEET_LINK_USAGE];
