// What an SMP group needs from the client: one request/response exchange and the packet size limit.
// Groups depend on this interface only, so smp-client.ts can compose them without an import cycle.
import type { SmpBody } from './smp-cbor.js';

export interface RequestOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  retries?: number;
}

export interface SmpRequester {
  /** One exchange; resolves with the answer's body, rejects with SmpError or TransportError. */
  request(kind: 'read' | 'write', group: number, id: number, body?: SmpBody, opts?: RequestOptions): Promise<SmpBody>;
  /** Largest request packet (header + CBOR) that transport and device both take. */
  packetLimit(signal?: AbortSignal): Promise<number>;
}
