// Who is calling: the peer's uid from the kernel (SO_PEERCRED), never something the client says.
// uid 0 and configured admins see everything; other clients see only their own transfers.
import type { Config } from '../config/schema.js';
import { FerryError } from '../errors.js';

export interface Caller {
  name: string;
  uid: number;
  admin: boolean;
}

export function identify(uid: number, clients: Config['clients']): Caller {
  if (uid === 0) return { name: 'root', uid, admin: true };
  const entry = clients.list.find((c) => c.uids.includes(uid));
  if (entry) return { name: entry.name, uid, admin: entry.admin };
  if (process.getuid?.() === uid) return { name: `uid-${uid}`, uid, admin: true }; // the agent's own user
  if (!clients.allowUnlisted) throw new FerryError('UNKNOWN_CLIENT', `uid ${uid} is not a configured client`);
  return { name: `uid-${uid}`, uid, admin: false };
}

export function canSee(caller: Caller, owner: string): boolean {
  return caller.admin || caller.name === owner;
}
