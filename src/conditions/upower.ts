// UPower over D-Bus: OnBattery from the daemon and the composite DisplayDevice's charge and state.
// Re-read when either object signals a change.
import type { Logger } from '../log.js';
import type { PowerConditions } from './snapshot.js';
import { bool, callMethod, getAll, num, type MessageBus } from './dbus-call.js';
import { startServiceReader, type ServiceReader } from './dbus-service-reader.js';

export const UPOWER_NAME = 'org.freedesktop.UPower';
export const UPOWER_PATH = '/org/freedesktop/UPower';
const UPOWER_IFACE = 'org.freedesktop.UPower';
const DEVICE_IFACE = 'org.freedesktop.UPower.Device';
const DISPLAY_DEVICE = '/org/freedesktop/UPower/devices/DisplayDevice';

// UpDeviceState: 1 charging, 2 discharging, 3 empty, 4 fully charged, 5 pending charge, 6 pending discharge.
const CHARGING = 1;
const FULLY_CHARGED = 4;

export function powerFromUPower(onBattery: boolean, display: Record<string, unknown>): PowerConditions {
  const present = bool(display, 'IsPresent') ?? false;
  const pct = num(display, 'Percentage');
  const state = num(display, 'State');
  const source = onBattery ? 'battery' : 'external';
  return {
    source,
    batteryPercent: present && pct !== null ? Math.round(pct) : null,
    // A full battery on external power counts as charging, as Android's "charging" does.
    charging: present && (state === CHARGING || (state === FULLY_CHARGED && source === 'external')),
  };
}

export interface UPowerReaderDeps {
  bus: MessageBus;
  log: Logger;
  retryMs?: number;
}

export function startUPowerReader(deps: UPowerReaderDeps): Promise<ServiceReader<PowerConditions>> {
  const { bus } = deps;
  let displayPath = DISPLAY_DEVICE;

  async function read(): Promise<PowerConditions> {
    const daemon = await getAll(bus, UPOWER_NAME, UPOWER_PATH, UPOWER_IFACE);
    try {
      const [p] = await callMethod(bus, { destination: UPOWER_NAME, path: UPOWER_PATH, interface: UPOWER_IFACE, member: 'GetDisplayDevice' });
      if (typeof p === 'string') displayPath = p;
    } catch {
      // UPower before 0.99 has no GetDisplayDevice; the well-known path is the answer there too.
    }
    const display = await getAll(bus, UPOWER_NAME, displayPath, DEVICE_IFACE).catch(() => ({}));
    return powerFromUPower(bool(daemon, 'OnBattery') ?? false, display);
  }

  return startServiceReader({
    bus,
    name: UPOWER_NAME,
    pathNamespace: UPOWER_PATH,
    log: deps.log.child({ reader: 'upower' }),
    read,
    relevant: (msg) => msg.member === 'PropertiesChanged' && (msg.path === UPOWER_PATH || msg.path === displayPath),
    retryMs: deps.retryMs,
  });
}
