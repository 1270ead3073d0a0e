// Turns what went wrong in an attempt into retry (transient) or failed (permanent), wrapping the
// library error once as `cause`. The split follows the engine contract: network, 5xx, 408, 429 and
// short bodies retry; other 4xx, untrusted TLS and local permission problems fail.
import { FerryError } from '../errors.js';
import type { AttemptResult } from './attempt.js';

export type Failure =
  | { outcome: 'retry'; error: FerryError; retryAfterMs: number | null }
  | { outcome: 'failed'; error: FerryError };

const retry = (error: FerryError, retryAfterMs: number | null = null): Failure => ({ outcome: 'retry', error, retryAfterMs });
const failed = (error: FerryError): Failure => ({ outcome: 'failed', error });

// Certificate problems the peer cannot fix by itself on a retry. CERT_NOT_YET_VALID is left out on
// purpose: gateways without an RTC boot with a clock in the past until NTP catches up.
const TLS_PERMANENT = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_REVOKED',
  'CERT_UNTRUSTED', 'CERT_REJECTED', 'CERT_SIGNATURE_FAILURE', 'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH', 'INVALID_CA', 'PATH_LENGTH_EXCEEDED', 'INVALID_PURPOSE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE', 'CERT_CHAIN_TOO_LONG', 'EPROTO',
]);
const NETWORK = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'EHOSTDOWN',
  'ENETUNREACH', 'ENETDOWN', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'ENONET', 'UND_ERR_SOCKET',
  'UND_ERR_CLOSED', 'UND_ERR_DESTROYED', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT',
]);
// Local disk: a full disk may be freed (storage-low policy pauses meanwhile); the rest needs a person.
const IO_TRANSIENT = new Set(['ENOSPC', 'EDQUOT', 'EMFILE', 'ENFILE', 'EBUSY', 'EAGAIN']);

/** Engine-raised FerryErrors that a later attempt may not meet again. */
const TRANSIENT_CODES = new Set<string>(['NETWORK_ERROR', 'TIMEOUT', 'NO_PROGRESS', 'LENGTH_MISMATCH', 'PROTOCOL_ERROR']);

function codeOf(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let depth = 0; depth < 4 && cur && typeof cur === 'object'; depth++) {
    const c = (cur as { code?: unknown }).code;
    if (typeof c === 'string') return c;
    // Happy-eyeballs connects report an AggregateError of per-address failures.
    const errs = (cur as { errors?: unknown[] }).errors;
    cur = Array.isArray(errs) && errs.length > 0 ? errs[0] : (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message || e.name : String(e);
}

/** Classifies a thrown error (network, TLS, file system, or a FerryError raised by the engine). */
export function failureFromError(e: unknown): Failure {
  if (e instanceof FerryError) {
    return TRANSIENT_CODES.has(e.code) ? retry(e) : failed(e);
  }
  const code = codeOf(e) ?? '';
  const msg = messageOf(e);
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return retry(new FerryError('TIMEOUT', `connect timed out: ${msg}`, { cause: e }));
  if (code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') {
    return retry(new FerryError('LENGTH_MISMATCH', `response body length differs from Content-Length: ${msg}`, { cause: e }));
  }
  if (code === 'CERT_NOT_YET_VALID') return retry(new FerryError('TLS_ERROR', `TLS: ${msg} (is the clock set?)`, { cause: e }));
  if (TLS_PERMANENT.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) {
    return failed(new FerryError('TLS_ERROR', `TLS: ${msg}`, { cause: e }));
  }
  if (NETWORK.has(code)) return retry(new FerryError('NETWORK_ERROR', `${code}: ${msg}`, { cause: e }));
  if (code.startsWith('HPE_') || code === 'UND_ERR_HEADERS_OVERFLOW' || code === 'UND_ERR_INFO') {
    return retry(new FerryError('PROTOCOL_ERROR', `malformed HTTP response: ${msg}`, { cause: e }));
  }
  if (code === 'ENOENT') return failed(new FerryError('FILE_NOT_FOUND', msg, { cause: e }));
  if (IO_TRANSIENT.has(code)) return retry(new FerryError('IO_ERROR', `${code}: ${msg}`, { cause: e }));
  if (code.startsWith('E')) return failed(new FerryError('IO_ERROR', `${code}: ${msg}`, { cause: e }));
  // Unknown: retrying is the safer guess (attempts are bounded by the retry policy).
  return retry(new FerryError('NETWORK_ERROR', msg, { cause: e }));
}

/** Retry-After: delay-seconds or an HTTP-date; null when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | null {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!v) return null;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** Classifies a final (non-redirect) status that is not a success. */
export function failureFromStatus(status: number, headers: Record<string, string | string[] | undefined>, now: number): Failure {
  const error = new FerryError('HTTP_STATUS', `server answered HTTP ${status}`);
  if (status === 408 || status === 429 || status >= 500) return retry(error, parseRetryAfter(headers['retry-after'], now));
  return failed(error);
}

/** A Failure as an attempt result; `bytesTransferred` is the progress a retry keeps. */
export function withBytes(f: Failure, bytesTransferred: number): AttemptResult {
  return f.outcome === 'retry' ? { ...f, bytesTransferred } : f;
}
