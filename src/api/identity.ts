// Who is calling: the peer's uid from the kernel (SO_PEERCRED), never something the client says.
// uid 0 and configured admins see everything and have every right; other clients see only their own
// transfers and have the rights the config gives them.
import type { Config } from '../config/schema.js';
import { FerryError } from '../errors.js';

export type Right = 'userInitiated';

export interface Caller {
  name: string;
  uid: number;
  admin: boolean;
  /** Rights beyond owning transfers (config `clients.list[].rights`); an admin has all of them. */
  rights?: readonly Right[];
}

export function identify(uid: number, clients: Config['clients']): Caller {
  if (uid === 0) return { name: 'root', uid, admin: true };
  const entry = clients.list.find((c) => c.uids.includes(uid));
  if (entry) return { name: entry.name, uid, admin: entry.admin, rights: entry.rights };
  if (process.getuid?.() === uid) return { name: `uid-${uid}`, uid, admin: true }; // the agent's own user
  if (!clients.allowUnlisted) throw new FerryError('UNKNOWN_CLIENT', `uid ${uid} is not a configured client`);
  return { name: `uid-${uid}`, uid, admin: false, rights: clients.unlistedRights };
}

export function hasRight(caller: Caller, right: Right): boolean {
  return caller.admin || (caller.rights ?? []).includes(right);
}

/** Request fields that need a right: 403 FORBIDDEN naming the field when the caller lacks it. */
export function checkRequestRights(caller: Caller, body: unknown): void {
  const b = body as { userInitiated?: unknown } | null;
  if (b && typeof b === 'object' && b.userInitiated === true && !hasRight(caller, 'userInitiated')) {
    throw new FerryError('FORBIDDEN', `client "${caller.name}" may not queue user-initiated transfers (config clients.list[].rights)`, {
      field: 'userInitiated',
    });
  }
}

export function canSee(caller: Caller, owner: string): boolean {
  return caller.admin || caller.name === owner;
}
