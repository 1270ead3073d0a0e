// ferry's device side as an operator sees it: GET /v1/devices (presence) and `ferryctl smp --device`
// (ferry's own SMP client over the transport ferry resolved for a configured device).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { waitFor } from '../../../../test/support/wait.js';
import { getOk } from './ferry-api.js';

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
