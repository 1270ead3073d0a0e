// Where a client's `path` points: admins (and root) name anything below the transfers root; every
// other client's paths resolve below its own folder `<root>/<client>/`, which ferry creates for it,
// so one client cannot even name another's files. The stored path stays relative to the root.
// The agent's own sources (uid null) keep the agent's rights: device sync the whole root (its files
// are under devices/), the fleet bridge its folder `<root>/fleet/` (API.md).
import path from 'node:path';
import { FerryError } from '../errors.js';
import type { TransferAccess } from '../model/job.js';
import { DEVICE_SYNC, type Principal } from '../model/principal.js';
import { resolveInsideRoot } from '../transfer/request-checks.js';

const RESERVED_FOLDERS = new Set(['devices']);

export async function resolveClientPath(root: string, by: Principal, given: string): Promise<{ rel: string; access: TransferAccess | null }> {
  if (by.uid === null && (by.admin || by.name === DEVICE_SYNC.name)) return { rel: (await resolveInsideRoot(root, given)).rel, access: null };
  if (by.admin && by.uid !== null) {
    const { rel } = await resolveInsideRoot(root, given);
    return { rel, access: { uid: by.uid, folder: '' } };
  }
  // Config names allow a leading dot; such a folder would hide (or be ferry's own .ferry-parts).
  // `devices` is where device pulls and captures land: a client of that name must not own it.
  if (by.name.startsWith('.') || RESERVED_FOLDERS.has(by.name)) {
    throw new FerryError('FORBIDDEN', `client ${by.name} cannot have a folder of that name (reserved or starting with "."); rename it in clients.list`);
  }
  const { rel } = await resolveInsideRoot(path.join(root, by.name), given);
  return { rel: `${by.name}/${rel}`, access: by.uid === null ? null : { uid: by.uid, folder: by.name } };
}
