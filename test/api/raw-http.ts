// Sends raw bytes to the agent's socket and reads what comes back until the agent closes (or a timeout):
// for requests no well-behaved HTTP client would send.
import { connect } from 'node:net';

export interface RawAnswer {
  status: number;
  headers: string;
  body: any;
  text: string;
}

export function rawRequest(socket: string, bytes: Buffer | string, opts: { endAfter?: boolean; timeoutMs?: number } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const s = connect(socket);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => s.destroy(), opts.timeoutMs ?? 5000);
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', reject);
    s.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const head = split < 0 ? text : text.slice(0, split);
      const length = /content-length: (\d+)/i.exec(head);
      // Only the first answer: a pipelined second request may have its own.
      const rest = split < 0 ? '' : Buffer.from(text.slice(split + 4)).subarray(0, length ? Number(length[1]) : undefined).toString('utf8');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      let body: unknown = rest;
      try {
        body = JSON.parse(rest);
      } catch {
        /* not JSON: the test sees the text */
      }
      resolve({ status, headers: head, body, text });
    });
    s.write(bytes);
    if (opts.endAfter) s.end();
  });
}

/** A POST /v1/transfers with the given raw body bytes and a matching content-length. */
export function rawPost(path: string, body: Buffer): Buffer {
  const head = `POST ${path} HTTP/1.1\r\nhost: ferry\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}
