// What GET /v1/devices shows: each configured device with its transport, presence, activity and last
// sync (from the job records), and serial ports seen on the system that no device claims.
import { realpath } from 'node:fs/promises';
import { listSerialPorts } from '../../drivers/serial/list-ports.js';
import type { DeviceConfig } from '../config/sections/devices.js';
import { isFinal, type DeviceJob, type Job } from '../model/job.js';
import type { DeviceHardware } from './device-hardware.js';
import type { DevicePresenceTracker } from './device-presence.js';
import type { LinesCapture, LinesCaptureStats } from './lines-capture.js';

export interface DeviceView {
  id: string;
  protocol: DeviceConfig['protocol'];
  transport: string;
  kind: DeviceConfig['transport']['kind'];
  /** The transport as configured (`ferryctl smp --device ID` connects with it). */
  transportConfig: DeviceConfig['transport'];
  /** present | absent | unknown | unavailable | invalid */
  state: string;
  reason: string | null;
  since: string | null;
  lastSeenAt: string | null;
  /** idle | syncing | queued | capturing */
  activity: string;
  jobs: { outstanding: number; running: number; ids: string[] };
  lastSync: { at: string; state: string; transferId: string; op: string; remote: string; error: { code: string; message: string } | null } | null;
  when: DeviceConfig['when'];
  capture?: LinesCaptureStats;
}

export function deviceViews(
  devices: readonly DeviceConfig[],
  presence: DevicePresenceTracker,
  jobs: readonly Job[],
  captures: ReadonlyMap<string, LinesCapture>,
): DeviceView[] {
  return devices.map((d) => {
    const p = presence.get(d.id);
    const mine = jobs.filter((t): t is DeviceJob => t.kind === 'device-sync' && t.device.id === d.id);
    const open = mine.filter((t) => !isFinal(t.state));
    const running = open.filter((t) => t.state === 'running');
    let last: DeviceJob | undefined;
    for (const t of mine) if (isFinal(t.state) && (!last || t.updatedAt > last.updatedAt)) last = t;
    const cap = captures.get(d.id);
    const activity = cap?.stats.capturing ? 'capturing' : running.length > 0 ? 'syncing' : open.length > 0 ? 'queued' : 'idle';
    const spec = last?.device;
    return {
      id: d.id,
      protocol: d.protocol,
      transport: p?.transport ?? '',
      kind: d.transport.kind,
      transportConfig: d.transport,
      state: p?.state ?? 'unknown',
      reason: p?.reason ?? null,
      since: p?.since ?? null,
      lastSeenAt: p?.lastSeenAt ?? null,
      activity,
      jobs: { outstanding: open.length, running: running.length, ids: open.map((t) => t.id) },
      lastSync: last
        ? { at: last.updatedAt, state: last.state, transferId: last.id, op: spec?.op ?? '', remote: spec?.remote ?? '', error: last.error }
        : null,
      when: d.when,
      ...(cap ? { capture: { ...cap.stats } } : {}),
    };
  });
}

export interface SeenPort {
  transport: string;
  path: string;
  byId: string | null;
  vendorId: string | null;
  productId: string | null;
  serialNumber: string | null;
  product: string | null;
}

/** Serial ports the system has that no configured device uses (to help write the config). */
export async function seenSerialPorts(devices: readonly DeviceConfig[], hw: DeviceHardware): Promise<SeenPort[]> {
  const ports = await listSerialPorts({ sysRoot: hw.sysRoot, devRoot: hw.devRoot }).catch(() => []);
  const claimed = new Set<string>();
  for (const d of devices) {
    const t = d.transport;
    if (t.kind !== 'serial' || !t.path) continue;
    claimed.add(t.path);
    const real = await realpath(t.path).catch(() => null);
    if (real) claimed.add(real);
  }
  return ports
    .filter((p) => !claimed.has(p.path) && !(p.byId && claimed.has(p.byId)))
    .filter((p) => !devices.some((d) => d.transport.vid && d.transport.vid.toLowerCase() === p.vendorId?.toLowerCase() && (!d.transport.pid || d.transport.pid.toLowerCase() === p.productId?.toLowerCase())))
    .map((p) => ({
      transport: `serial:${p.byId ?? p.path}`,
      path: p.path,
      byId: p.byId ?? null,
      vendorId: p.vendorId ?? null,
      productId: p.productId ?? null,
      serialNumber: p.serialNumber ?? null,
      product: p.product ?? null,
    }));
}
