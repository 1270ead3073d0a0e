// Incremental text/event-stream parser (WHATWG SSE) for GET /v1/events: `event:`, multi-line
// `data:` (parsed as JSON when it is JSON), comments, and CR, LF or CRLF line ends split anywhere.
// Memory is bounded: a line over MAX_LINE or an event over MAX_EVENT (a broken or hostile stream; the
// agent's events are a few KiB) is dropped, not buffered.

export interface ApiEvent {
  event: string;
  data: unknown;
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export const MAX_LINE = 1024 * 1024;
export const MAX_EVENT = 4 * 1024 * 1024;

export class SseParser {
  private buf = '';
  private eventName = '';
  private data: string[] = [];
  private dataSize = 0;
  private tooBig = false;
  /** Inside a line over MAX_LINE whose start was dropped: drop up to its end. */
  private skipping = false;

  /** Characters held towards an incomplete line (bounded by MAX_LINE). */
  get buffered(): number {
    return this.buf.length;
  }

  push(chunk: string): ApiEvent[] {
    this.buf += chunk;
    const out: ApiEvent[] = [];
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buf);
      // A trailing lone CR may be the first half of CRLF: wait for the next chunk.
      if (!m || (m[0] === '\r' && m.index === this.buf.length - 1)) {
        if (this.buf.length > MAX_LINE) {
          this.buf = this.buf.endsWith('\r') ? '\r' : '';
          this.skipping = true;
        }
        break;
      }
      const line = this.buf.slice(0, m.index);
      this.buf = this.buf.slice(m.index + m[0].length);
      if (this.skipping || line.length > MAX_LINE) {
        this.skipping = false;
        continue;
      }
      const ev = this.line(line);
      if (ev) out.push(ev);
    }
    return out;
  }

  private line(line: string): ApiEvent | undefined {
    if (line === '') {
      const tooBig = this.tooBig;
      const data = this.data;
      const name = this.eventName;
      this.eventName = '';
      this.data = [];
      this.dataSize = 0;
      this.tooBig = false;
      if (data.length === 0 || tooBig) return undefined;
      const text = data.join('\n');
      return { event: name || 'message', data: tryParse(text) ?? text };
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const name = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (name === 'event') this.eventName = value;
    else if (name === 'data') {
      this.dataSize += value.length + 1;
      if (this.dataSize > MAX_EVENT) {
        this.tooBig = true;
        this.data = [];
      } else if (!this.tooBig) this.data.push(value);
    }
    return undefined;
  }
}
