// An incremental HTTP/1.1 response parser for the download path (http1-client.ts): the head is
// copied and parsed once; body bytes are handed on as views of the caller's read buffer, never copied
// here. Framing follows RFC 9112 §6.3. Anything an origin could use to confuse the framing (both
// Transfer-Encoding and Content-Length, differing lengths, folded or malformed header lines, bad chunk
// sizes) is a PROTOCOL_ERROR, and every size an origin controls is bounded.
import { FerryError } from '../../errors.js';

export type ResponseHeaders = Record<string, string | string[]>;

export interface ResponseHead {
  statusCode: number;
  /** HTTP/1.1 without `connection: close`, framed by length or chunks: the connection may carry another request after it. */
  reusable: boolean;
  /** Lower-case names; a repeated header is a list, in order. */
  headers: ResponseHeaders;
}

export interface ParserSink {
  /** The final head (1xx interim answers are skipped). */
  onHead(head: ResponseHead): void;
  /** Body bytes `buf[start, end)`; the view is valid during the call only. */
  onBody(buf: Buffer, start: number, end: number): void;
  onEnd(): void;
}

export interface ParserOptions {
  /** The request's method: a HEAD answer has no body whatever its headers say. */
  method: string;
  /** Most bytes of one head (status line and headers), and of a chunked body's trailers. */
  maxHeadBytes: number;
}

const MAX_HEADERS = 256;
const MAX_CHUNK_LINE = 4096;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Field values: visible characters, spaces, tabs and obs-text; no CR, LF or NUL.
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: [\t\x20-\x7e\x80-\xff]*)?$/;

type State = 'head' | 'length' | 'close' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'done';

const protocolError = (message: string): FerryError => new FerryError('PROTOCOL_ERROR', `malformed HTTP response: ${message}`);

export class ResponseParser {
  private state: State = 'head';
  private head: Buffer = Buffer.alloc(0);
  /** Bytes left of a Content-Length body or of the current chunk. */
  private remaining = 0;
  private line = '';
  private trailerBytes = 0;
  private bodyBytes = 0;
  private expected: number | null = null;

  constructor(
    private readonly sink: ParserSink,
    private readonly opts: ParserOptions,
  ) {}

  get done(): boolean {
    return this.state === 'done';
  }

  /** Bytes still to come of a Content-Length body; null for any other framing, or before the body. */
  get lengthLeft(): number | null {
    return this.state === 'length' ? this.remaining : null;
  }

  /** Bytes came after the complete response (a server out of step): its connection must not be reused. */
  leftover = false;

  /** Feeds `buf[start, end)`. Throws a PROTOCOL_ERROR FerryError; bytes after a complete response are ignored. */
  execute(buf: Buffer, start = 0, end = buf.length): void {
    let at = start;
    while (at < end && this.state !== 'done') {
      switch (this.state) {
        case 'head':
          at = this.readHead(buf, at, end);
          break;
        case 'length':
          at = this.counted(buf, at, end);
          if (this.remaining === 0) this.end();
          break;
        case 'close':
          this.body(buf, at, end);
          at = end;
          break;
        case 'chunk-size':
        case 'chunk-end':
        case 'trailers':
          at = this.readLine(buf, at, end);
          break;
        case 'chunk-data':
          at = this.counted(buf, at, end);
          if (this.remaining === 0) this.state = 'chunk-end';
          break;
      }
    }
    if (at < end && this.state === 'done') this.leftover = true;
  }

  /** The connection ended: ends a body that runs to the close; any other unfinished response is an error. */
  finish(): void {
    if (this.state === 'done') return;
    if (this.state === 'close') return this.end();
    if (this.state === 'head') {
      throw new FerryError('NETWORK_ERROR', this.head.length === 0 ? 'the server closed the connection without an answer' : 'the server closed the connection inside the response head');
    }
    if (this.state === 'length') {
      throw new FerryError('LENGTH_MISMATCH', `connection closed after ${this.bodyBytes} of ${this.expected} body bytes`);
    }
    throw new FerryError('NETWORK_ERROR', `the server closed the connection inside a chunked body (after ${this.bodyBytes} bytes)`);
  }

  /** Hands on up to `remaining` bytes (of a Content-Length body or of one chunk); returns where it stopped. */
  private counted(buf: Buffer, at: number, end: number): number {
    const n = Math.min(this.remaining, end - at);
    this.body(buf, at, at + n);
    this.remaining -= n;
    return at + n;
  }

  private body(buf: Buffer, start: number, end: number): void {
    if (end <= start) return;
    this.bodyBytes += end - start;
    this.sink.onBody(buf, start, end);
  }

  private end(): void {
    this.state = 'done';
    this.sink.onEnd();
  }

  /** Collects head bytes up to the empty line; returns where the body starts in `buf`. */
  private readHead(buf: Buffer, start: number, end: number): number {
    const before = this.head.length;
    const take = Math.min(end - start, this.opts.maxHeadBytes + 4 - before);
    this.head = Buffer.concat([this.head, buf.subarray(start, start + take)]);
    // The head ends at the first empty line (CRLF CRLF, or bare LFs, which RFC 9112 lets a recipient accept).
    let from = Math.max(0, before - 3);
    let stop = -1;
    for (;;) {
      const lf = this.head.indexOf(10, from);
      if (lf < 0) break;
      const next = this.head[lf + 1] === 13 ? lf + 2 : lf + 1;
      if (next < this.head.length && this.head[next] === 10) {
        stop = next + 1;
        break;
      }
      if (next >= this.head.length) break;
      from = lf + 1;
    }
    if (stop < 0) {
      if (this.head.length > this.opts.maxHeadBytes) throw protocolError(`response head larger than ${this.opts.maxHeadBytes} bytes`);
      return start + take;
    }
    if (stop > this.opts.maxHeadBytes + 2) throw protocolError(`response head larger than ${this.opts.maxHeadBytes} bytes`);
    const text = this.head.toString('latin1', 0, stop);
    this.head = Buffer.alloc(0);
    this.onHeadText(text);
    return start + (stop - before);
  }

  private onHeadText(text: string): void {
    const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    const status = STATUS_LINE.exec(lines[0] ?? '');
    if (!status) throw protocolError(`status line ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
    const statusCode = Number(status[2]);
    if (lines.length - 1 > MAX_HEADERS) throw protocolError(`more than ${MAX_HEADERS} header fields`);
    const headers: ResponseHeaders = {};
    for (let i = 1; i < lines.length; i++) {
      const l = lines[i]!;
      const colon = l.indexOf(':');
      // A line starting with white space is obsolete folding; a name with white space before the colon is refused (RFC 9112 §5.1).
      if (colon <= 0) throw protocolError(`header line ${JSON.stringify(l.slice(0, 80))}`);
      const name = l.slice(0, colon);
      if (!TOKEN.test(name)) throw protocolError(`header name ${JSON.stringify(name.slice(0, 80))}`);
      const value = l.slice(colon + 1).replace(/^[\t ]+|[\t ]+$/g, '');
      if (!FIELD_VALUE.test(value)) throw protocolError(`value of ${name}`);
      const key = name.toLowerCase();
      const prev = headers[key];
      if (prev === undefined) headers[key] = value;
      else if (Array.isArray(prev)) prev.push(value);
      else headers[key] = [prev, value];
    }
    if (statusCode < 200) {
      // 100 Continue, 103 Early Hints: an interim answer, the final one follows. 101 was never asked for.
      if (statusCode === 101) throw protocolError('101 Switching Protocols to a request that asked for no upgrade');
      return;
    }
    this.frame(statusCode, headers);
    const connection = (Array.isArray(headers['connection']) ? headers['connection'].join(',') : (headers['connection'] ?? '')).toLowerCase();
    const reusable = status[1] === '1' && this.state !== 'close' && !/(^|[\s,])close([\s,]|$)/.test(connection);
    this.sink.onHead({ statusCode, headers, reusable });
    if (this.state === 'done') this.sink.onEnd();
  }

  private frame(statusCode: number, headers: ResponseHeaders): void {
    const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : (Array.isArray(v) ? v : [v]).flatMap((x) => x.split(',')).map((x) => x.trim()));
    const te = list(headers['transfer-encoding']);
    const cl = list(headers['content-length']);
    if (this.opts.method === 'HEAD' || statusCode === 204 || statusCode === 304) {
      this.state = 'done';
      return;
    }
    if (te.length > 0) {
      // Both framings at once is how responses are smuggled: refused rather than guessed.
      if (cl.length > 0) throw protocolError('both Transfer-Encoding and Content-Length');
      if (te[te.length - 1]!.toLowerCase() === 'chunked') {
        if (te.slice(0, -1).some((c) => c.toLowerCase() === 'chunked')) throw protocolError('chunked applied twice');
        this.state = 'chunk-size';
      } else {
        this.state = 'close';
      }
      return;
    }
    if (cl.length > 0) {
      if (!cl.every((v) => v === cl[0]) || !/^\d{1,15}$/.test(cl[0]!)) throw protocolError(`Content-Length ${JSON.stringify(cl.join(', ').slice(0, 80))}`);
      this.expected = Number(cl[0]);
      this.remaining = this.expected;
      this.state = this.remaining === 0 ? 'done' : 'length';
      return;
    }
    this.state = 'close';
  }

  /** Chunk-size lines, the CRLF after chunk data, and trailer lines. */
  private readLine(buf: Buffer, start: number, end: number): number {
    const lf = buf.indexOf(10, start);
    const stop = lf < 0 || lf >= end ? end : lf;
    this.line += buf.toString('latin1', start, stop);
    const limit = this.state === 'trailers' ? this.opts.maxHeadBytes : MAX_CHUNK_LINE;
    if (this.line.length > limit) throw protocolError(this.state === 'trailers' ? 'trailers too large' : 'chunk-size line too long');
    if (stop === end) return end;
    const line = this.line.endsWith('\r') ? this.line.slice(0, -1) : this.line;
    this.line = '';
    if (this.state === 'chunk-end') {
      if (line !== '') throw protocolError('chunk data longer than its size');
      this.state = 'chunk-size';
    } else if (this.state === 'chunk-size') {
      // chunk-size [ chunk-ext ]: extensions are ignored; at most 13 hex digits (below 2^53).
      const m = /^([0-9A-Fa-f]{1,13})[\t ]*(?:;.*)?$/.exec(line);
      if (!m) throw protocolError(`chunk size ${JSON.stringify(line.slice(0, 40))}`);
      this.remaining = parseInt(m[1]!, 16);
      this.state = this.remaining === 0 ? 'trailers' : 'chunk-data';
    } else {
      this.trailerBytes += line.length + 2;
      if (this.trailerBytes > this.opts.maxHeadBytes) throw protocolError('trailers too large');
      if (line === '') this.end();
    }
    return stop + 1;
  }
}
