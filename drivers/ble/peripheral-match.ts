// Which advertising peripheral is "the device": by address, advertised local name, or advertised
// service UUID (all given criteria must hold). Addresses compare without separators, case-insensitively.
import { nobleUuid, type PeripheralLike } from './noble-like.js';

export interface BleTarget {
  /** "AA:BB:CC:DD:EE:FF" (any case, ':' or '-' or none); also matched against noble's peripheral id. */
  address?: string;
  /** Exact advertised local name. */
  name?: string;
  /** Advertised service UUID (with or without dashes). */
  serviceUuid?: string;
}

function bareAddress(a: string): string {
  return a.replace(/[:-]/g, '').toLowerCase();
}

export function describeTarget(t: BleTarget): string {
  return t.address ?? (t.name !== undefined ? `name=${t.name}` : t.serviceUuid !== undefined ? `service=${t.serviceUuid}` : 'any');
}

export function matchesTarget(p: PeripheralLike, t: BleTarget): boolean {
  if (t.address !== undefined) {
    const want = bareAddress(t.address);
    if (bareAddress(p.address ?? '') !== want && bareAddress(p.id) !== want) return false;
  }
  if (t.name !== undefined && p.advertisement?.localName !== t.name) return false;
  if (t.serviceUuid !== undefined) {
    const want = nobleUuid(t.serviceUuid);
    if (!(p.advertisement?.serviceUuids ?? []).some((u) => nobleUuid(u) === want)) return false;
  }
  return true;
}
