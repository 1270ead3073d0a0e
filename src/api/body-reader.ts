// Reads a request body: size-limited, strict UTF-8 (a fatal decoder; the field holding an invalid
// sequence is named), JSON, and well-formed Unicode in every key and string.
import type { IncomingMessage } from 'node:http';
import { FerryError } from '../errors.js';
import { checkWellFormed, findReplaced } from '../queue/text-checks.js';

const strict = new TextDecoder('utf-8', { fatal: true });
const lenient = new TextDecoder('utf-8');

export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) {
    req.resume();
    throw new FerryError('BODY_TOO_LARGE', `the body is over ${limit} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > limit) throw new FerryError('BODY_TOO_LARGE', `the body is over ${limit} bytes`);
      chunks.push(chunk as Buffer);
    }
  } catch (e) {
    if (e instanceof FerryError) throw e;
    // The client went away mid-body: nothing to answer, nothing wrong with the agent.
    throw new FerryError('CLIENT_GONE', 'the client closed the connection before the body ended', { cause: e });
  }
  if (size === 0) return {};
  const bytes = Buffer.concat(chunks);
  let text: string;
  try {
    text = strict.decode(bytes);
  } catch (e) {
    throw invalidUtf8(bytes, e);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new FerryError('INVALID_JSON', `the body is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  checkWellFormed(body);
  return body;
}

function invalidUtf8(bytes: Buffer, cause: unknown): FerryError {
  let field = '(body)';
  // A literal U+FFFD in the body would be blamed wrongly: then the body as a whole is named.
  if (!bytes.includes(Buffer.from([0xef, 0xbf, 0xbd]))) {
    try {
      field = findReplaced(JSON.parse(lenient.decode(bytes))) ?? '(body)';
    } catch {
      /* not JSON either: the body is named */
    }
  }
  return new FerryError('INVALID_FIELD', `${field === '(body)' ? 'the body' : field} is not valid UTF-8`, { field, cause });
}
