// What a client could do by itself to a file or folder: the kernel's mode-bit rule (owner, then
// group, then other; root may do anything) evaluated with the client's uid and its account's groups,
// plus the sticky-folder rule for replacing. Files with a POSIX ACL are granted to their owner only:
// an ACL can deny a named user what the group bits would allow, and we do not evaluate ACLs.
import type { NativeStat } from '../system/native.js';

export interface Credentials {
  uid: number;
  /** The account's groups, primary first (getgrouplist); empty when the uid has no account. */
  gids: number[];
}

export type Want = 'r' | 'w' | 'x';
const BIT: Record<Want, number> = { r: 4, w: 2, x: 1 };
const S_ISVTX = 0o1000;

/** May `who` read / write / search-or-execute the object with this stat (and ACL presence)? */
export function may(st: NativeStat, who: Credentials, want: Want, hasAcl = false): boolean {
  if (who.uid === 0) return true;
  const owner = st.uid === who.uid;
  if (hasAcl && !owner) return false;
  const bits = owner ? (st.mode >> 6) & 7 : who.gids.includes(st.gid) ? (st.mode >> 3) & 7 : st.mode & 7;
  return (bits & BIT[want]) !== 0;
}

/**
 * May `who` create, replace or remove the name `existing` in the folder `dir`? Write and search on
 * the folder; in a sticky folder (/tmp-like) an existing entry also needs to be theirs or the folder's.
 */
export function mayReplaceIn(dir: NativeStat, existing: NativeStat | null, who: Credentials, dirAcl = false): boolean {
  if (!may(dir, who, 'w', dirAcl) || !may(dir, who, 'x', dirAcl)) return false;
  if (existing === null || who.uid === 0 || (dir.mode & S_ISVTX) === 0) return true;
  return existing.uid === who.uid || dir.uid === who.uid;
}
