// The one error type of ferry: a stable upper-case `code`, a message for people, the config/request
// field it concerns, and the original error as `cause`. Library errors are wrapped once, where they enter.

export const ERROR_CODES = {
  // request and config validation (400)
  BAD_REQUEST: 400,
  INVALID_FIELD: 400,
  UNKNOWN_FIELD: 400,
  INVALID_URL: 400,
  UNSUPPORTED_SCHEME: 400,
  PATH_OUTSIDE_ROOT: 400,
  RESERVED_HEADER: 400,
  INVALID_HEADER: 400,
  TOO_MANY_HEADERS: 400,
  HEADER_TOO_LARGE: 400,
  TOO_LARGE: 400,
  INVALID_JSON: 400,
  CONFIG_INVALID: 400,
  // the HTTP layer of the control API (answered from the parser, before any route)
  MALFORMED_HTTP: 400,
  HEADERS_TOO_LARGE: 431,
  REQUEST_TIMEOUT: 408,
  /** The client closed its connection mid-request: logged, never answered. */
  CLIENT_GONE: 400,
  TOO_MANY_STREAMS: 429,
  // access and lookup
  FORBIDDEN: 403,
  UNKNOWN_CLIENT: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  WRONG_STATE: 409,
  BODY_TOO_LARGE: 413,
  QUOTA_EXCEEDED: 429,
  SHUTTING_DOWN: 503,
  UNAVAILABLE: 503,
  // the agent's own state (SQLite): the change was not recorded, the agent keeps running
  STORAGE_FULL: 507,
  STORAGE_ERROR: 503,
  // transfer outcomes (recorded on transfers; 500 if they ever reach the API)
  HTTP_STATUS: 502,
  NETWORK_ERROR: 502,
  TLS_ERROR: 502,
  TIMEOUT: 504,
  NO_PROGRESS: 504,
  REDIRECT_LIMIT: 502,
  INSECURE_REDIRECT: 502,
  LENGTH_MISMATCH: 502,
  CHECKSUM_MISMATCH: 502,
  FILE_NOT_FOUND: 400,
  IO_ERROR: 500,
  PROTOCOL_ERROR: 502,
  POLICY_REJECTED: 400,
  RETRIES_EXHAUSTED: 502,
  // devices
  DEVICE_NOT_FOUND: 404,
  DEVICE_DISCONNECTED: 503,
  DEVICE_BUSY: 409,
  DEVICE_TIMEOUT: 504,
  DEVICE_ERROR: 502,
  DEVICE_IO_ERROR: 502,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class FerryError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;
  constructor(code: ErrorCode, message: string, opts: { field?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'FerryError';
    this.code = code;
    this.field = opts.field;
  }
  toJSON(): { code: ErrorCode; message: string; field?: string } {
    return this.field === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, field: this.field };
  }
}

export function isFerryError(e: unknown): e is FerryError {
  return e instanceof FerryError;
}

/** HTTP status for an error code: the one place that decides it. */
export function httpStatusFor(code: string): number {
  return (ERROR_CODES as Record<string, number>)[code] ?? 500;
}

/**
 * ferryctl's exit status for an error it reports with this code (API.md "Command line"): 3 when the other
 * end (the agent, or the device `ferryctl smp` talks to) could not be reached, 1 for an error answer.
 * An error the agent answered is always 1: the agent was reached (see cli/commands/dispatch.ts).
 */
export function exitCodeFor(code: string): 1 | 3 {
  return UNREACHABLE_CODES.has(code) ? 3 : 1;
}

const UNREACHABLE_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'DEVICE_NOT_FOUND', 'DEVICE_DISCONNECTED', 'DEVICE_BUSY', 'DEVICE_TIMEOUT', 'DEVICE_IO_ERROR', 'UNAVAILABLE',
]);

/** Wraps anything thrown into a FerryError, keeping the original as cause. */
export function asFerryError(e: unknown, fallback: ErrorCode = 'INTERNAL'): FerryError {
  if (isFerryError(e)) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new FerryError(fallback, msg, { cause: e });
}
