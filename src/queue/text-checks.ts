// Strings a client hands the agent: well-formed Unicode everywhere (a lone surrogate cannot be written to
// SQLite, a log or a file name as the client meant it), and no control characters where a string becomes
// a URL, a file name or a line of output. Each problem is an INVALID_FIELD naming the field.
import { FerryError } from '../errors.js';

// C0 controls and DEL: NUL ends a C string, CR/LF split headers and log lines, the URL parser drops tabs
// and newlines silently (so the URL queued would not be the one the client sent).
const CONTROL = /[\u0000-\u001f\u007f]/;

// With the u flag a surrogate pair is one code point, so only lone halves match.
const LONE_SURROGATE = /\p{Cs}/u;
const wellFormed = (s: string): boolean => !LONE_SURROGATE.test(s);

const join = (at: string, key: string): string => (at ? `${at}.${key}` : key);

/** Walks a parsed JSON value; throws for the first key or string that is not well-formed UTF-16. */
export function checkWellFormed(value: unknown, at = ''): void {
  if (typeof value === 'string') {
    if (!wellFormed(value)) throw new FerryError('INVALID_FIELD', `${at || 'the body'} holds a lone surrogate (not valid Unicode)`, { field: at || '(body)' });
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkWellFormed(v, join(at, String(i))));
    return;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if (!wellFormed(k)) throw new FerryError('INVALID_FIELD', `a key in ${at || 'the body'} holds a lone surrogate`, { field: at || '(body)' });
      checkWellFormed(v, join(at, k));
    }
  }
}

/** Throws INVALID_FIELD when a string meant for a URL, a path or a label holds a control character. */
export function checkNoControls(value: unknown, field: string): void {
  if (typeof value === 'string' && CONTROL.test(value)) {
    throw new FerryError('INVALID_FIELD', `${field} contains NUL, CR, LF, tab or another control character`, { field });
  }
}

/** The first field whose text holds U+FFFD: where an invalid UTF-8 sequence was replaced. */
export function findReplaced(value: unknown, at = ''): string | null {
  if (typeof value === 'string') return value.includes('\ufffd') ? at || '(body)' : null;
  if (typeof value !== 'object' || value === null) return null;
  for (const [k, v] of Object.entries(value)) {
    if (k.includes('\ufffd')) return at || '(body)';
    const hit = findReplaced(v, join(at, k));
    if (hit) return hit;
  }
  return null;
}
