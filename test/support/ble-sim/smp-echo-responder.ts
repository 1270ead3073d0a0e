// Stand-in SMP device for driver tests: answers each request with the same header turned into a
// response (op + 1) and the same payload. Same `handle` shape as test/support/smp-sim's SmpDeviceSim.
export interface SmpHandler {
  handle(packet: Uint8Array): Promise<Uint8Array[]>;
}

/** Builds an SMP v2 packet: [op|ver<<3, flags, len BE, group BE, seq, id] + payload. */
export function smpPacket(op: number, group: number, seq: number, id: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + payload.length);
  out[0] = (1 << 3) | (op & 7);
  out[1] = 0;
  out[2] = payload.length >> 8;
  out[3] = payload.length & 0xff;
  out[4] = group >> 8;
  out[5] = group & 0xff;
  out[6] = seq & 0xff;
  out[7] = id;
  out.set(payload, 8);
  return out;
}

export class SmpEchoResponder implements SmpHandler {
  readonly requests: Uint8Array[] = [];
  /** Extra responses to send per request (to test several packets in a row); default 1. */
  repeat = 1;

  async handle(packet: Uint8Array): Promise<Uint8Array[]> {
    this.requests.push(packet);
    const rsp = packet.slice();
    rsp[0] = (rsp[0]! & ~7) | ((rsp[0]! & 7) + 1);
    return Array.from({ length: this.repeat }, () => rsp.slice());
  }
}
