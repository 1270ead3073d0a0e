// The virtual rig's simulated SMP devices as the tests drive them: files put into the simulator's file
// system, its delay knob, its image state (guest/smp-fs-image-device.mjs), and unplug/replug by
// unbinding its USB gadget from its UDC in configfs. Also ferry's transfer API the sync tests follow.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { waitFor } from '../../../../test/support/wait.js';
import { api, getOk } from './ferry-api.js';

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

export interface ImageState {
  resets: number;
  slots: { slot: number; version: string; sha256: string; active: boolean; confirmed: boolean; pending: boolean; permanent: boolean }[];
}

export class RigGadgetDevice {
  /** `simDir`: the simulator's state folder; `udc`: "<configfs UDC file>=<UDC name>" (devices.env). */
  constructor(
    readonly simDir: string,
    private readonly udc: string,
  ) {}

  /** Null when the rig set up this device's simulator, else why the tests that need it skip. */
  static missing(simVar: string, udcVar: string, env: NodeJS.ProcessEnv = process.env): string | null {
    if (!env[simVar]) return `${simVar} not set (the virtual rig's simulator state folder; a physical board's files and images are not the tests' to change)`;
    if (!env[udcVar] || !env[udcVar]!.includes('=')) return `${udcVar} not set (the gadget's configfs UDC file=UDC name)`;
    return null;
  }

  static fromEnv(simVar: string, udcVar: string, env: NodeJS.ProcessEnv = process.env): RigGadgetDevice {
    return new RigGadgetDevice(env[simVar]!, env[udcVar]!);
  }

  /** Puts `data` at `remote` (e.g. /lfs/data.bin) in the device's file system. */
  putFile(remote: string, data: Uint8Array): void {
    const p = join(this.simDir, 'fs', remote);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, data);
  }

  /** Every answer waits this long (0: as fast as it can). */
  setDelayMs(ms: number): void {
    writeFileSync(join(this.simDir, 'delay-ms'), `${ms}\n`);
  }

  images(): ImageState {
    return JSON.parse(readFileSync(join(this.simDir, 'images.json'), 'utf8')) as ImageState;
  }

  /** Offsets of the fs reads the device answered for `remote`, in order (from its request log). */
  fsReadOffsets(remote: string): number[] {
    let log = '';
    try {
      log = readFileSync(join(this.simDir, 'requests.log'), 'utf8');
    } catch {
      return [];
    }
    return log
      .split('\n')
      .map((l) => l.split(' '))
      .filter((p) => p[0] === 'fs-read' && p[1] === remote)
      .map((p) => Number(p[2]));
  }

  clearRequestLog(): void {
    rmSync(join(this.simDir, 'requests.log'), { force: true });
  }

  private get udcFile(): string {
    return this.udc.slice(0, this.udc.lastIndexOf('='));
  }

  /** Unplug: the gadget leaves its UDC, so the host side sees the device disconnect. */
  unplug(): void {
    writeFileSync(this.udcFile, '\n');
  }

  /** Replug: the gadget binds to its UDC again and the host enumerates it anew. */
  replug(): void {
    writeFileSync(this.udcFile, this.udc.slice(this.udc.lastIndexOf('=') + 1));
  }

  bound(): boolean {
    return readFileSync(this.udcFile, 'utf8').trim() !== '';
  }
}

export const randomData = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

export interface DeviceTransfer {
  id: string;
  state: string;
  direction: string;
  path: string;
  reasons: { code: string; message: string }[];
  bytesTransferred: number;
  totalBytes: number | null;
  error: { code: string; message: string } | null;
  device: { op: string; result?: Record<string, unknown> } | null;
}

/** POST /v1/devices/{id}/sync: the transfers it queued. */
export async function syncDevice(socket: string, id: string): Promise<DeviceTransfer[]> {
  const r = await api<{ transfers: DeviceTransfer[] }>(socket, 'POST', `/v1/devices/${encodeURIComponent(id)}/sync`, {});
  if (r.status !== 202) throw new Error(`POST /v1/devices/${id}/sync answered ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body.transfers;
}

/** Polls GET /v1/transfers/{id} until `ok` holds; the error names the last state seen. */
export function waitTransfer(socket: string, id: string, ok: (t: DeviceTransfer) => boolean, timeoutMs: number, what: string): Promise<DeviceTransfer> {
  return waitFor(async () => {
    const t = await getOk<DeviceTransfer>(socket, `/v1/transfers/${id}`);
    if (ok(t)) return t;
    throw new Error(`${what}: transfer is ${t.state} at ${t.bytesTransferred}/${t.totalBytes ?? '?'} B, reasons ${t.reasons.map((r) => r.code).join(',') || 'none'}${t.error ? `, error ${t.error.code}: ${t.error.message}` : ''}`);
  }, timeoutMs, what, 200);
}

export const isFinished = (t: DeviceTransfer): boolean => ['completed', 'failed', 'cancelled'].includes(t.state);
