// A simulated device's error answer: a group-scoped code (sent as v2 `err`) with the legacy
// mcumgr_err_t it collapses to for v1 clients, or a plain mcumgr error that is always `rc`.

export class SimFailure extends Error {
  constructor(
    /** null: a plain mcumgr_err_t, sent as `rc` whatever the version. */
    readonly group: number | null,
    readonly rc: number,
    readonly legacyRc: number,
    /** Extra fields the device adds to the error answer (fs upload: `len`). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(`sim failure group=${group} rc=${rc}`);
  }

  static mgmt(rc: number): SimFailure {
    return new SimFailure(null, rc, rc);
  }
}

export const MGMT = { EUNKNOWN: 1, EINVAL: 3, ENOENT: 5, EBADSTATE: 6, EMSGSIZE: 7, ENOTSUP: 8, UNSUPPORTED_TOO_NEW: 13 } as const;
