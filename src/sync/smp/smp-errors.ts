// Device-reported SMP errors as one typed error: legacy `rc` (mcumgr_err_t) and v2 `err: {group, rc}`
// (group-scoped codes) both become SmpError with readable names. Names follow Zephyr's enums.
import { FerryError } from '../../errors.js';

export const SmpGroup = {
  OS: 0,
  IMAGE: 1,
  STAT: 2,
  SETTINGS: 3,
  LOG: 4,
  CRASH: 5,
  SPLIT: 6,
  RUN: 7,
  FS: 8,
  SHELL: 9,
  ENUM: 10,
  ZEPHYR_BASIC: 63,
} as const;

const GROUP_NAMES: Record<number, string> = {
  0: 'os',
  1: 'image',
  2: 'stat',
  3: 'settings',
  4: 'log',
  5: 'crash',
  6: 'split',
  7: 'run',
  8: 'fs',
  9: 'shell',
  10: 'enum',
  63: 'zephyr-basic',
};

export function groupName(group: number): string {
  return GROUP_NAMES[group] ?? (group >= 64 ? `user-${group}` : `group-${group}`);
}

/** mcumgr_err_t: the legacy, group-less result codes. */
export const MgmtErr = {
  EOK: 0,
  EUNKNOWN: 1,
  ENOMEM: 2,
  EINVAL: 3,
  ETIMEOUT: 4,
  ENOENT: 5,
  EBADSTATE: 6,
  EMSGSIZE: 7,
  ENOTSUP: 8,
  ECORRUPT: 9,
  EBUSY: 10,
  EACCESSDENIED: 11,
  UNSUPPORTED_TOO_OLD: 12,
  UNSUPPORTED_TOO_NEW: 13,
} as const;

const MGMT_ERR_NAMES = Object.keys(MgmtErr).map((k) => `MGMT_ERR_${k}`);

const OS_ERRS = ['OK', 'UNKNOWN', 'INVALID_FORMAT', 'QUERY_YIELDS_NO_ANSWER', 'RTC_NOT_SET', 'RTC_COMMAND_FAILED',
  'QUERY_RESPONSE_VALUE_NOT_VALID'];
const IMG_ERRS = ['OK', 'UNKNOWN', 'FLASH_CONFIG_QUERY_FAIL', 'NO_IMAGE', 'NO_TLVS', 'INVALID_TLV',
  'TLV_MULTIPLE_HASHES_FOUND', 'TLV_INVALID_SIZE', 'HASH_NOT_FOUND', 'NO_FREE_SLOT', 'FLASH_OPEN_FAILED',
  'FLASH_READ_FAILED', 'FLASH_WRITE_FAILED', 'FLASH_ERASE_FAILED', 'INVALID_SLOT', 'NO_FREE_MEMORY',
  'FLASH_CONTEXT_ALREADY_SET', 'FLASH_CONTEXT_NOT_SET', 'FLASH_AREA_DEVICE_NULL', 'INVALID_PAGE_OFFSET',
  'INVALID_OFFSET', 'INVALID_LENGTH', 'INVALID_IMAGE_HEADER', 'INVALID_IMAGE_HEADER_MAGIC', 'INVALID_HASH',
  'INVALID_FLASH_ADDRESS', 'VERSION_GET_FAILED', 'CURRENT_VERSION_IS_NEWER', 'IMAGE_ALREADY_PENDING',
  'INVALID_IMAGE_VECTOR_TABLE', 'INVALID_IMAGE_TOO_LARGE', 'INVALID_IMAGE_DATA_OVERRUN',
  'IMAGE_CONFIRMATION_DENIED', 'IMAGE_SETTING_TEST_TO_ACTIVE_DENIED', 'ACTIVE_SLOT_NOT_KNOWN'];
const STAT_ERRS = ['OK', 'UNKNOWN', 'INVALID_GROUP', 'INVALID_STAT_NAME', 'INVALID_STAT_SIZE', 'WALK_ABORTED'];
const FS_ERRS = ['OK', 'UNKNOWN', 'FILE_INVALID_NAME', 'FILE_NOT_FOUND', 'FILE_IS_DIRECTORY', 'FILE_OPEN_FAILED',
  'FILE_SEEK_FAILED', 'FILE_READ_FAILED', 'FILE_TRUNCATE_FAILED', 'FILE_DELETE_FAILED', 'FILE_WRITE_FAILED',
  'FILE_OFFSET_NOT_VALID', 'FILE_OFFSET_LARGER_THAN_FILE', 'CHECKSUM_HASH_NOT_FOUND', 'MOUNT_POINT_NOT_FOUND',
  'READ_ONLY_FILESYSTEM', 'FILE_EMPTY', 'FILE_CLOSE_FAILED'];
const SHELL_ERRS = ['OK', 'UNKNOWN', 'COMMAND_TOO_LONG', 'EMPTY_COMMAND'];

const GROUP_ERR_NAMES: Record<number, { prefix: string; names: string[] }> = {
  0: { prefix: 'OS_MGMT_ERR_', names: OS_ERRS },
  1: { prefix: 'IMG_MGMT_ERR_', names: IMG_ERRS },
  2: { prefix: 'STAT_MGMT_ERR_', names: STAT_ERRS },
  8: { prefix: 'FS_MGMT_ERR_', names: FS_ERRS },
  9: { prefix: 'SHELL_MGMT_ERR_', names: SHELL_ERRS },
};

/** Group-scoped (v2) result codes the client acts on. */
export const FsErr = { FILE_NOT_FOUND: 3, FILE_OFFSET_NOT_VALID: 11, FILE_OFFSET_LARGER_THAN_FILE: 12,
  CHECKSUM_HASH_NOT_FOUND: 13 } as const;
export const ImgErr = { NO_IMAGE: 3, HASH_NOT_FOUND: 8, NO_FREE_SLOT: 9, INVALID_OFFSET: 20 } as const;

export function rcName(rc: number, group?: number): string {
  if (group === undefined) {
    if (rc >= 256) return `MGMT_ERR_EPERUSER+${rc - 256}`;
    return MGMT_ERR_NAMES[rc] ?? `MGMT_ERR_${rc}`;
  }
  const table = GROUP_ERR_NAMES[group];
  const name = table?.names[rc];
  return table && name ? `${table.prefix}${name}` : `${groupName(group).toUpperCase()}_ERR_${rc}`;
}

export class SmpError extends FerryError {
  /** Group the failed request was sent to. */
  readonly group: number;
  readonly groupName: string;
  readonly rc: number;
  readonly rcName: string;
  /** true: `rc` is a group-scoped code (v2 `err`); false: a legacy mcumgr_err_t. */
  readonly groupScoped: boolean;
  /** Optional "rsn" text some servers add. */
  readonly reason: string | undefined;
  /** The whole decoded response body (some errors carry data, e.g. fs upload's current `len`). */
  readonly body: Record<string, unknown>;

  constructor(opts: { requestGroup: number; rc: number; errGroup?: number; reason?: string; body: Record<string, unknown> }) {
    const scoped = opts.errGroup !== undefined;
    const group = opts.errGroup ?? opts.requestGroup;
    const name = rcName(opts.rc, scoped ? group : undefined);
    const why = opts.reason ? `: ${opts.reason}` : '';
    super('DEVICE_ERROR', `device answered ${groupName(opts.requestGroup)} request with ${name} (rc ${opts.rc})${why}`);
    this.name = 'SmpError';
    this.group = group;
    this.groupName = groupName(group);
    this.rc = opts.rc;
    this.rcName = name;
    this.groupScoped = scoped;
    this.reason = opts.reason;
    this.body = opts.body;
  }

  /** True for a group-scoped code `rc` of `group`, or (legacy form) the mcumgr code `legacyRc`. */
  is(group: number, rc: number, legacyRc?: number): boolean {
    if (this.groupScoped) return this.group === group && this.rc === rc;
    return legacyRc !== undefined && this.rc === legacyRc;
  }
}

export function isSmpError(e: unknown): e is SmpError {
  return e instanceof SmpError;
}

/** Returns the SmpError a response body carries, or undefined when it reports success. */
export function errorFromBody(requestGroup: number, body: Record<string, unknown>): SmpError | undefined {
  const reason = typeof body.rsn === 'string' ? body.rsn : undefined;
  const err = body.err;
  if (err !== null && typeof err === 'object' && !(err instanceof Uint8Array)) {
    const e = err as Record<string, unknown>;
    const rc = Number(e.rc ?? 0);
    if (rc !== 0) {
      return new SmpError({ requestGroup, rc, errGroup: Number(e.group ?? requestGroup), reason, body });
    }
  }
  if (body.rc !== undefined && Number(body.rc) !== 0) {
    return new SmpError({ requestGroup, rc: Number(body.rc), reason, body });
  }
  return undefined;
}
