// Where a client's `path` points: admins (and root) name anything below the transfers root; every
// other client's paths resolve below its own folder `<root>/<client>/`, which ferry creates for it,
// so one client cannot even name another's files. The stored path stays relative to the root.
// Callers with uid < 0 are the agent itself (work it queues on its own), not a client.
import path from 'node:path';
import { FerryError } from '../errors.js';
import type { TransferAccess } from '../model/transfer.js';
import { resolveInsideRoot } from '../transfer/request-checks.js';
import type { Caller } from './identity.js';

const RESERVED_FOLDERS = new Set(['devices']);

export async function resolveClientPath(root: string, caller: Caller, given: string): Promise<{ rel: string; access: TransferAccess | null }> {
  // uid < 0: the agent's own work (chained device uploads): the whole root, the agent's rights.
  if (caller.uid < 0) return { rel: (await resolveInsideRoot(root, given)).rel, access: null };
  if (caller.admin) {
    const { rel } = await resolveInsideRoot(root, given);
    return { rel, access: { uid: caller.uid, folder: '' } };
  }
  // Config names allow a leading dot; such a folder would hide (or be ferry's own .ferry-parts).
  // `devices` is where device pulls and captures land: a client of that name must not own it.
  if (caller.name.startsWith('.') || RESERVED_FOLDERS.has(caller.name)) {
    throw new FerryError('FORBIDDEN', `client ${caller.name} cannot have a folder of that name (reserved or starting with "."); rename it in clients.list`);
  }
  const { rel } = await resolveInsideRoot(path.join(root, caller.name), given);
  return { rel: `${caller.name}/${rel}`, access: { uid: caller.uid, folder: caller.name } };
}
