// ferry's device side as an operator sees it: GET /v1/devices (presence) and `ferryctl smp --device`
// (ferry's own SMP client over the transport ferry resolved for a configured device).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { waitFor } from '../../../../test/support/wait.js';
import { api, getOk } from './ferry-api.js';

const run = promisify(execFile);

export interface ListedDevice {
  id: string;
  transport: string;
  state: string;
  reason: string | null;
}

/** Waits until ferry lists device `id` as present; returns its entry. */
export function devicePresent(socket: string, id: string, timeoutMs = 30_000): Promise<ListedDevice> {
  return waitFor(async () => {
    const r = await getOk<{ devices: ListedDevice[] }>(socket, '/v1/devices');
    const d = r.devices.find((x) => x.id === id);
    if (!d) throw new Error(`device ${id} is not in ferry's config (GET /v1/devices lists ${r.devices.map((x) => x.id).join(', ') || 'none'})`);
    if (d.state !== 'present') throw new Error(`device ${id} is ${d.state}${d.reason ? ` (${d.reason})` : ''}`);
    return d;
  }, timeoutMs, `device ${id} present`, 250);
}

/** `ferryctl smp --device ID echo TEXT`: its stdout (throws with stderr when it exits non-zero). */
export async function ferryctlEcho(socket: string, id: string, text: string): Promise<string> {
  try {
    const { stdout } = await run('ferryctl', ['--socket', socket, 'smp', '--device', id, 'echo', text], { timeout: 60_000 });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; code?: number };
    throw new Error(`ferryctl smp --device ${id} echo exited ${err.code}: ${err.stderr ?? ''}`);
  }
}

export interface DeviceJob {
  id: string;
  state: string;
  reasons: { code: string }[];
  bytesTransferred: number;
  attempts: number;
  error: { code: string; message: string } | null;
  lastError: { code: string; message: string } | null;
  device?: { remote: string; result?: { verifiedWith?: string | null; resumedFrom?: number; length?: number } };
}

/** POST /v1/devices/ID/sync: the device-sync jobs it queued (throws unless 202). */
export async function syncNow(socket: string, id: string): Promise<DeviceJob[]> {
  const r = await api<{ transfers: DeviceJob[] }>(socket, 'POST', `/v1/devices/${encodeURIComponent(id)}/sync`, {});
  if (r.status !== 202) throw new Error(`POST /v1/devices/${id}/sync answered ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body.transfers;
}

/** Polls job `id` until `until` holds; a job that ends failed or cancelled throws at once with its error. */
export async function jobUntil(socket: string, id: string, until: (j: DeviceJob) => boolean, what: string, timeoutMs: number): Promise<DeviceJob> {
  const j = await waitFor(async () => {
    const x = await getOk<DeviceJob>(socket, `/v1/transfers/${id}`);
    return until(x) || x.state === 'failed' || x.state === 'cancelled' ? x : null;
  }, timeoutMs, what, 100);
  if (!until(j)) throw new Error(`job ${id} ${j.state} while waiting for ${what}: ${JSON.stringify(j.error ?? j.lastError)}`);
  return j;
}
