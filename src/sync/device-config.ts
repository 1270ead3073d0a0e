// What the devices config means beyond its schema: cross-field rules, the transport description shown
// in the API, default local paths and upload URL templates. Pure functions, no I/O.
import path from 'node:path';
import type { DeviceConfig, DevicePullConfig, DeviceTransportConfig } from '../config/sections/devices.js';
import { providerFor } from './transports/providers.js';

/** The first problem with a device entry that the schema cannot express, or null. */
export function deviceConfigProblem(d: DeviceConfig): string | null {
  const t = d.transport;
  const problem = providerFor(t.kind).validate(t);
  if (problem) return problem;
  if (d.protocol === 'lines' && t.kind !== 'serial') return 'the lines protocol needs a serial transport';
  if (d.protocol === 'lines' && (d.pull.length > 0 || d.push.length > 0)) return 'a lines device has no pull/push lists';
  for (const [i, p] of d.push.entries()) {
    if (p.type === 'file' && !p.remote) return `push[${i}]: a file push needs "remote"`;
  }
  return null;
}

/** Problems across the whole list (duplicate ids, invalid entries), keyed by device id. */
export function deviceProblems(list: readonly DeviceConfig[]): Map<string, string> {
  const out = new Map<string, string>();
  const seen = new Set<string>();
  for (const d of list) {
    if (seen.has(d.id)) out.set(d.id, `device id "${d.id}" is configured twice`);
    seen.add(d.id);
    const p = deviceConfigProblem(d);
    if (p && !out.has(d.id)) out.set(d.id, p);
  }
  return out;
}

/** "serial:/dev/ttyACM0", "serial:usb=2fe3:0100", "udp:10.0.0.5:1337", "ble:AA:BB:…", "usb:2fe3:0100:SN". */
export function describeTransport(t: DeviceTransportConfig): string {
  return providerFor(t.kind).describe(t);
}

/** Where a pulled file lands, relative to the transfers root: `local`, or devices/<id>/<basename>. */
export function pullLocalPath(deviceId: string, p: DevicePullConfig): string {
  if (p.local) return p.local;
  return path.posix.join('devices', deviceId, path.posix.basename(p.remote) || 'file');
}

/** Spool folder of a lines device, relative to the transfers root. */
export function spoolDir(d: DeviceConfig): string {
  return d.lines.dir ?? path.posix.join('devices', d.id, 'spool');
}

/** Fills "{id}" and "{name}" (URL-encoded) in an upload URL template. */
export function expandUploadUrl(template: string, deviceId: string, fileName: string): string {
  return template.replaceAll('{id}', encodeURIComponent(deviceId)).replaceAll('{name}', encodeURIComponent(fileName));
}

/** The device URL of a job: device://<id>/<remote without leading slash>. */
export function deviceUrl(deviceId: string, remote: string): string {
  return `device://${encodeURIComponent(deviceId)}/${remote.replace(/^\/+/, '')}`;
}
