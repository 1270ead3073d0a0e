// Calls on python-dbusmock's control interface (org.freedesktop.DBus.Mock) shared by the typed mocks.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import dbus from 'dbus-next';
import type { PrivateBus } from '../dbus.js';

export const MOCK_IFACE = 'org.freedesktop.DBus.Mock';
export type Variant = InstanceType<typeof dbus.Variant>;

export function v(signature: string, value: unknown): Variant {
  return new dbus.Variant(signature, value);
}

/** Extra methods loaded into every mock (SetProps), see props.py. */
export const PROPS_TEMPLATE = join(dirname(fileURLToPath(import.meta.url)), 'props.py');

/**
 * Sets properties of a mock object and emits one standard Properties.PropertiesChanged, as real daemons
 * do. `mainPath` is the mock's main object (where SetProps was loaded).
 */
export function updateProperties(
  bus: PrivateBus,
  busName: string,
  mainPath: string,
  path: string,
  iface: string,
  props: Record<string, Variant>,
): Promise<unknown[]> {
  return bus.call(busName, mainPath, MOCK_IFACE, 'SetProps', 'osa{sv}', [path, iface, props]);
}

/** Adds a property without any signal (dbusmock's AddProperty). */
export function addProperty(bus: PrivateBus, busName: string, path: string, iface: string, name: string, value: Variant): Promise<unknown[]> {
  return bus.call(busName, path, MOCK_IFACE, 'AddProperty', 'ssv', [iface, name, value]);
}

/** Adds an object with properties on one interface and no methods (dbusmock's AddObject; no signal). */
export function addObject(bus: PrivateBus, busName: string, mainPath: string, path: string, iface: string, props: Record<string, Variant>): Promise<unknown[]> {
  return bus.call(busName, mainPath, MOCK_IFACE, 'AddObject', 'ssa{sv}a(ssss)', [path, iface, props, []]);
}
