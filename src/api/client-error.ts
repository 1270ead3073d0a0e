// Requests the HTTP parser refuses (bad framing, oversized or invalid headers, timeouts) never reach a
// route; Node would answer them with an empty body. This answers in the API's JSON error shape instead,
// written on the socket directly because there is no ServerResponse yet.
import type { Duplex } from 'node:stream';
import { FerryError, httpStatusFor, type ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';

const REASONS: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

function classify(code: string | undefined): { code: ErrorCode; message: string } {
  if (code === 'HPE_HEADER_OVERFLOW') return { code: 'HEADERS_TOO_LARGE', message: 'the request headers are too large' };
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT' || code === 'ERR_HTTP_HEADERS_TIMEOUT') {
    return { code: 'REQUEST_TIMEOUT', message: 'the request did not arrive in time' };
  }
  return { code: 'MALFORMED_HTTP', message: `the request is not valid HTTP/1.1 (${code ?? 'parse error'})` };
}

export function answerClientError(err: Error & { code?: string }, socket: Duplex, log: Logger): void {
  // A reset or a peer that already left cannot be answered.
  if (err.code === 'ECONNRESET' || !socket.writable) {
    log.debug({ code: err.code }, 'client left mid-request');
    socket.destroy();
    return;
  }
  const c = classify(err.code);
  log.debug({ code: c.code, parser: err.code }, 'request refused by the HTTP parser');
  const status = httpStatusFor(c.code);
  const body = JSON.stringify({ error: new FerryError(c.code, c.message).toJSON() }) + '\n';
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
