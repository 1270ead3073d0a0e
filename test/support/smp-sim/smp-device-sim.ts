// An SMP device simulator (zwave-js mock-controller style): `handle(packet)` answers one request
// packet with zero or more response packets, independent of transport — serial, UDP, BLE and USB
// frontends all call it. Knobs reproduce the ugly cases; `expectRequest` waits for a request.
import { EventEmitter } from 'node:events';
import { decodeBody, type SmpBody } from '../../../src/sync/smp/smp-cbor.js';
import { decodePacket, encodePacket, type SmpHeader, type SmpVersion } from '../../../src/sync/smp/smp-packet.js';
import { encodeSimBody } from './sim-cbor.js';
import { MGMT, SimFailure } from './sim-failure.js';
import { fsHandlers, type FsUploadContext } from './fs-handlers.js';
import { imageHandlers, initialImageSlots, type ImageUploadContext, type SimImageSlot } from './image-handlers.js';
import { systemHandlers } from './system-handlers.js';
import type { SerialFrontend, SerialFrontendOptions } from './serial-frontend.js';
import type { UdpFrontend } from './udp-frontend.js';

export interface SmpSimKnobs {
  /** 'v1-only': a device without SMP v2. */
  protocol: 'v2' | 'v1-only';
  /** How a v1-only device treats a v2 request: Zephyr says UNSUPPORTED_TOO_NEW; pre-v2 mcumgr ignores the bits. */
  v1Answer: 'too-new' | 'ignore-version';
  /** 'auto': group errors as v2 `err` to v2 requests; 'rc': always legacy `rc` (CONFIG_MCUMGR_SMP_LEGACY_RC_BEHAVIOUR-like). */
  errorForm: 'auto' | 'rc';
  /** Encode responses with indefinite-length maps, as zcbor does. */
  indefiniteMaps: boolean;
  /** Bytes per fs download answer, chosen by the "server". */
  downloadChunkSize: number;
  /** Reported by mcumgr params; requests larger than bufSize are dropped like an RX buffer overflow. */
  bufSize: number;
  bufCount: number;
  supportsParams: boolean;
  /** Silently ignore the next N requests (lost, or failed CRC on the way in). */
  dropRequests: number;
  /** Process but do not answer the next N requests (answer lost on the way out). */
  dropResponses: number;
  /** Delay before each answer (a slow device). */
  delayMs: number;
  /** After this many response bytes the device "unplugs": emits 'disconnect' and goes silent. */
  disconnectAfterBytes: number | undefined;
  /** Version string given to an image uploaded into slot 1. */
  uploadedImageVersion: string;
}

export interface SimRequest {
  header: SmpHeader;
  body: SmpBody;
  size: number;
}

export type SimHandler = (sim: SmpDeviceSim, req: SimRequest) => SmpBody | Promise<SmpBody>;

export const defaultKnobs = (): SmpSimKnobs => ({
  protocol: 'v2',
  v1Answer: 'too-new',
  errorForm: 'auto',
  indefiniteMaps: false,
  downloadChunkSize: 200,
  bufSize: 384,
  bufCount: 4,
  supportsParams: true,
  dropRequests: 0,
  dropResponses: 0,
  delayMs: 0,
  disconnectAfterBytes: undefined,
  uploadedImageVersion: '1.1.0',
});

/** Events: 'request' (SimRequest), 'disconnect', 'reset'. */
export class SmpDeviceSim extends EventEmitter {
  readonly knobs: SmpSimKnobs;
  readonly files = new Map<string, Uint8Array>();
  readonly stats = new Map<string, Record<string, number>>([['smp_svr_stats', { ticks: 42, frames: 7 }]]);
  images: SimImageSlot[] = initialImageSlots();
  imageUpload: ImageUploadContext | undefined;
  fsUpload: FsUploadContext | undefined;
  shell: (argv: string[]) => { output: string; ret: number } = (argv) =>
    argv[0] === 'echo' ? { output: argv.slice(1).join(' '), ret: 0 } : { output: `${argv[0] ?? ''}: command not found`, ret: -8 };
  /** Every request seen, in order. */
  readonly requests: SimRequest[] = [];
  /** Requests dropped because they exceeded bufSize. */
  oversizeRequests = 0;
  resets = 0;
  bytesSent = 0;
  disconnected = false;
  private readonly handlers = new Map<string, SimHandler>();

  constructor(knobs: Partial<SmpSimKnobs> = {}) {
    super();
    this.knobs = { ...defaultKnobs(), ...knobs };
    for (const table of [systemHandlers, fsHandlers, imageHandlers]) {
      for (const [key, h] of Object.entries(table)) this.handlers.set(key, h);
    }
  }

  /** Adds or replaces a command handler; key is `${group}:${id}:${op}` with op 0 (read) or 2 (write). */
  setHandler(group: number, id: number, op: 0 | 2, handler: SimHandler): void {
    this.handlers.set(`${group}:${id}:${op}`, handler);
  }

  /** Serves this device on the far end of a tty (e.g. a socat pty's device side). */
  async attachSerial(ptyPath: string, opts: SerialFrontendOptions = {}): Promise<SerialFrontend> {
    // Loaded on use so BLE/USB simulators calling only handle() never load serialport bindings.
    return (await import('./serial-frontend.js')).attachSerial(ptyPath, this, opts);
  }

  /** Serves this device on a loopback UDP port (0 = ephemeral; read the bound port from the result). */
  async attachUdp(port = 0, host = '127.0.0.1'): Promise<UdpFrontend> {
    return (await import('./udp-frontend.js')).attachUdp(this, port, host);
  }

  /** Resolves with the next request (after this call) matching `predicate`; rejects after timeoutMs. */
  expectRequest(timeoutMs: number, predicate: (r: SimRequest) => boolean = () => true): Promise<SimRequest> {
    return new Promise((resolve, reject) => {
      const onReq = (r: SimRequest) => {
        if (!predicate(r)) return;
        clearTimeout(timer);
        this.off('request', onReq);
        resolve(r);
      };
      const timer = setTimeout(() => {
        this.off('request', onReq);
        reject(new Error(`expectRequest: no matching request within ${timeoutMs} ms`));
      }, timeoutMs);
      this.on('request', onReq);
    });
  }

  async handle(packet: Uint8Array): Promise<Uint8Array[]> {
    if (this.disconnected) return [];
    let req: SimRequest;
    try {
      const p = decodePacket(packet);
      req = { header: p.header, body: decodeBody(p.body), size: packet.length };
    } catch {
      return []; // a real server drops what it cannot parse
    }
    this.requests.push(req);
    this.emit('request', req);
    const k = this.knobs;
    if (packet.length > k.bufSize) {
      this.oversizeRequests++;
      return [];
    }
    if (k.dropRequests > 0) {
      k.dropRequests--;
      return [];
    }
    if (k.delayMs > 0) await new Promise((r) => setTimeout(r, k.delayMs));
    const { header } = req;
    let version: SmpVersion = header.version;
    let body: SmpBody;
    if (version === 2 && k.protocol === 'v1-only') {
      version = 1;
      body = k.v1Answer === 'too-new' ? { rc: MGMT.UNSUPPORTED_TOO_NEW } : await this.dispatch(req, 1);
    } else {
      body = await this.dispatch(req, version);
    }
    if (k.dropResponses > 0) {
      k.dropResponses--;
      return [];
    }
    const rsp = encodePacket(
      { op: header.op + 1, version, flags: 0, group: header.group, seq: header.seq, id: header.id },
      encodeSimBody(body, k.indefiniteMaps),
    );
    if (k.disconnectAfterBytes !== undefined && this.bytesSent + rsp.length > k.disconnectAfterBytes) {
      this.disconnected = true;
      this.emit('disconnect');
      return [];
    }
    this.bytesSent += rsp.length;
    return [rsp];
  }

  /** What the device's reset does: swap a pending image in, forget RAM upload state. */
  reboot(): void {
    this.resets++;
    this.imageUpload = undefined;
    this.fsUpload = undefined;
    const [primary, secondary] = this.images;
    if (primary && secondary?.pending) {
      this.images = [
        { ...secondary, slot: 0, active: true, pending: false, confirmed: secondary.permanent, permanent: false },
        { ...primary, slot: 1, active: false, pending: false, permanent: false },
      ];
    }
    this.emit('reset');
  }

  private async dispatch(req: SimRequest, version: SmpVersion): Promise<SmpBody> {
    const { header } = req;
    const handler = this.handlers.get(`${header.group}:${header.id}:${header.op}`);
    try {
      if (!handler) throw SimFailure.mgmt(MGMT.ENOTSUP);
      return await handler(this, req);
    } catch (e) {
      if (!(e instanceof SimFailure)) return { rc: MGMT.EUNKNOWN, rsn: (e as Error).message };
      if (e.group !== null && version === 2 && this.knobs.errorForm === 'auto') {
        return { err: { group: e.group, rc: e.rc }, ...e.extra };
      }
      return { rc: e.legacyRc, ...e.extra };
    }
  }
}
