// Low-level D-Bus calls for the readers: method calls with a deadline (dbus-next has none, and a hung
// service must not hang the agent), Properties.GetAll with variants unwrapped, and match rules.
import dbus from 'dbus-next';
import type { MessageBus, Message as DbusMessage } from 'dbus-next';

const { Message, Variant } = dbus;

export type { MessageBus, DbusMessage };

export const DBUS_NAME = 'org.freedesktop.DBus';
export const DBUS_PATH = '/org/freedesktop/DBus';
export const PROPERTIES_IFACE = 'org.freedesktop.DBus.Properties';
export const OBJECT_MANAGER_IFACE = 'org.freedesktop.DBus.ObjectManager';

export interface CallSpec {
  destination: string;
  path: string;
  interface: string;
  member: string;
  signature?: string;
  body?: unknown[];
}

/** Calls a method and resolves with the reply body; rejects with the D-Bus error or on timeout. */
export function callMethod(bus: MessageBus, spec: CallSpec, timeoutMs = 5000): Promise<unknown[]> {
  const msg = new Message({
    destination: spec.destination,
    path: spec.path,
    interface: spec.interface,
    member: spec.member,
    signature: spec.signature ?? '',
    body: spec.body ?? [],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`D-Bus call ${spec.interface}.${spec.member} timed out`)), timeoutMs);
    timer.unref?.();
    bus.call(msg).then(
      (reply) => {
        clearTimeout(timer);
        resolve(reply?.body ?? []);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/** Turns dbus-next Variants (at any depth) into plain values; uint64 BigInts become numbers. */
export function unwrap(v: unknown): unknown {
  if (v instanceof Variant) return unwrap(v.value);
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(unwrap);
  if (v instanceof Buffer) return v;
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(v)) out[k] = unwrap(val);
    return out;
  }
  return v;
}

export async function getAll(bus: MessageBus, destination: string, path: string, iface: string): Promise<Record<string, unknown>> {
  const [props] = await callMethod(bus, {
    destination,
    path,
    interface: PROPERTIES_IFACE,
    member: 'GetAll',
    signature: 's',
    body: [iface],
  });
  return (unwrap(props) ?? {}) as Record<string, unknown>;
}

/** ObjectManager.GetManagedObjects: path → interface → property → plain value. */
export async function getManagedObjects(
  bus: MessageBus,
  destination: string,
  path: string,
): Promise<Record<string, Record<string, Record<string, unknown>>>> {
  const [objects] = await callMethod(bus, { destination, path, interface: OBJECT_MANAGER_IFACE, member: 'GetManagedObjects' });
  return (unwrap(objects) ?? {}) as Record<string, Record<string, Record<string, unknown>>>;
}

/** Unique name owning `name`, or null when nobody owns it. */
export async function getNameOwner(bus: MessageBus, name: string): Promise<string | null> {
  try {
    const [owner] = await callMethod(bus, {
      destination: DBUS_NAME,
      path: DBUS_PATH,
      interface: DBUS_NAME,
      member: 'GetNameOwner',
      signature: 's',
      body: [name],
    });
    return typeof owner === 'string' ? owner : null;
  } catch (e) {
    if ((e as { type?: string }).type === 'org.freedesktop.DBus.Error.NameHasNoOwner') return null;
    throw e;
  }
}

export function addMatch(bus: MessageBus, rule: string): Promise<unknown[]> {
  return callMethod(bus, { destination: DBUS_NAME, path: DBUS_PATH, interface: DBUS_NAME, member: 'AddMatch', signature: 's', body: [rule] });
}

export function removeMatch(bus: MessageBus, rule: string): Promise<unknown[]> {
  const spec = { destination: DBUS_NAME, path: DBUS_PATH, interface: DBUS_NAME, member: 'RemoveMatch', signature: 's', body: [rule] };
  return callMethod(bus, spec, 1000);
}

// Typed readers for property bags: a missing or mistyped property reads as the fallback, so an older
// daemon without a property degrades instead of failing the whole read.
export function num(props: Record<string, unknown>, key: string): number | null {
  const v = props[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export function str(props: Record<string, unknown>, key: string): string | null {
  const v = props[key];
  return typeof v === 'string' ? v : null;
}

export function bool(props: Record<string, unknown>, key: string): boolean | null {
  const v = props[key];
  return typeof v === 'boolean' ? v : null;
}

export function strList(props: Record<string, unknown>, key: string): string[] {
  const v = props[key];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}
