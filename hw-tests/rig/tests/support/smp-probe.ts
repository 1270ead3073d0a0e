// A minimal SMP client for the rig's link self-checks: one OS echo (group 0, id 0) over a serial
// line or a USB bulk pair. Deliberately not ferry's client: it checks the device and the link.
import { closeSync, openSync, constants, readSync, writeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { decode, encode } from 'cbor2';
// @ts-expect-error plain JS module shared with the rig's device simulator
import { createFrameDecoder, encodeFrame } from '../../guest/smp-serial-framing.mjs';

export function echoRequest(text: string, seq = 1): Buffer {
  const payload = Buffer.from(encode({ d: text }));
  const h = Buffer.from([2, 0, 0, 0, 0, 0, seq & 0xff, 0]);
  h.writeUInt16BE(payload.length, 2);
  return Buffer.concat([h, payload]);
}

/** The `r` of an echo response, or throws saying what came back instead. */
export function echoReply(packet: Buffer): string {
  if (packet.length < 8 || (packet[0]! & 7) !== 3) throw new Error(`not a write response: ${packet.toString('hex')}`);
  const body = decode(packet.subarray(8, 8 + packet.readUInt16BE(2))) as { r?: string; rc?: number };
  if (typeof body.r !== 'string') throw new Error(`echo answered ${JSON.stringify(body)}`);
  return body.r;
}

/** Sends one echo over a serial port in SMP serial framing and waits for the answer. */
export async function serialEcho(path: string, text: string, timeoutMs = 10_000): Promise<string> {
  execFileSync('stty', ['-F', path, 'raw', '-echo', '115200']);
  // Non-blocking reads polled from the event loop: a blocking tty read cannot be cancelled.
  const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    let got: Buffer | null = null;
    const feed = createFrameDecoder((p: Buffer) => (got = p));
    writeSync(fd, encodeFrame(echoRequest(text)));
    const buf = Buffer.alloc(4096);
    const deadline = Date.now() + timeoutMs;
    while (got === null) {
      if (Date.now() > deadline) throw new Error(`no SMP answer on ${path} within ${timeoutMs} ms`);
      try {
        const n = readSync(fd, buf, 0, buf.length, null);
        if (n > 0) feed(Buffer.from(buf.subarray(0, n)));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    return echoReply(got);
  } finally {
    closeSync(fd);
  }
}
