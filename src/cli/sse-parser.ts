// Incremental text/event-stream parser (WHATWG SSE) for GET /v1/events: `event:`, multi-line
// `data:` (parsed as JSON when it is JSON), comments, and CR, LF or CRLF line ends split anywhere.

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

export class SseParser {
  private buf = '';
  private eventName = '';
  private data: string[] = [];

  push(chunk: string): ApiEvent[] {
    this.buf += chunk;
    const out: ApiEvent[] = [];
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buf);
      // A trailing lone CR may be the first half of CRLF: wait for the next chunk.
      if (!m || (m[0] === '\r' && m.index === this.buf.length - 1)) break;
      const line = this.buf.slice(0, m.index);
      this.buf = this.buf.slice(m.index + m[0].length);
      const ev = this.line(line);
      if (ev) out.push(ev);
    }
    return out;
  }

  private line(line: string): ApiEvent | undefined {
    if (line === '') {
      if (this.data.length === 0) {
        this.eventName = '';
        return undefined;
      }
      const text = this.data.join('\n');
      const ev = { event: this.eventName || 'message', data: tryParse(text) ?? text };
      this.eventName = '';
      this.data = [];
      return ev;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const name = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (name === 'event') this.eventName = value;
    else if (name === 'data') this.data.push(value);
    return undefined;
  }
}
