// ModemManager over D-Bus: every modem's access technology, signal, state and 3GPP registration, read in
// one GetManagedObjects call and re-read on InterfacesAdded/Removed and PropertiesChanged.
import type { Logger } from '../log.js';
import type { Generation } from './snapshot.js';
import { getManagedObjects, num, str, type MessageBus } from './dbus-call.js';
import { startServiceReader, type ServiceReader } from './dbus-service-reader.js';

export const MM_NAME = 'org.freedesktop.ModemManager1';
export const MM_PATH = '/org/freedesktop/ModemManager1';
const MODEM_IFACE = 'org.freedesktop.ModemManager1.Modem';
const MODEM_3GPP_IFACE = 'org.freedesktop.ModemManager1.Modem.Modem3gpp';
const PORT_TYPE_NET = 2; // MMModemPortType NET

export interface ModemInfo {
  path: string;
  /** Network ports (MMModemPortType NET), e.g. wwan0. */
  netPorts: string[];
  primaryPort: string | null;
  accessTechnologies: number;
  generation: Generation | null;
  signalPercent: number | null;
  state: number | null;
  registrationState: number | null;
  roaming: boolean;
  operator: string | null;
}

// MMModemAccessTechnology bits (ModemManager-enums.h).
const TECH_5G = 1 << 15; // 5GNR
const TECH_LTE = (1 << 14) | (1 << 16); // LTE, LTE Cat-M
const TECH_3G = (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12) | (1 << 13); // UMTS…HSPA+, 1xRTT, EVDO0/A/B
// NB-IoT is LTE on paper but moves tens of kbit/s: the 2G rule (only user-initiated work) is the
// behaviour that fits it.
const TECH_2G = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 17); // GSM, GSM compact, GPRS, EDGE, NB-IoT

/** The best generation present in an AccessTechnologies mask; null when none is known. */
export function generationFromAccessTech(mask: number): Generation | null {
  if (mask === 0xffffffff) return null; // MM_MODEM_ACCESS_TECHNOLOGY_ANY: a mask, not a current value
  if (mask & TECH_5G) return '5g';
  if (mask & TECH_LTE) return '4g';
  if (mask & TECH_3G) return '3g';
  if (mask & TECH_2G) return '2g';
  return null;
}

// MMModem3gppRegistrationState: ROAMING (5), ROAMING_SMS_ONLY (7), ROAMING_CSFB_NOT_PREFERRED (10).
const ROAMING_STATES = new Set([5, 7, 10]);

export function isRoaming(registrationState: number | null): boolean {
  return registrationState !== null && ROAMING_STATES.has(registrationState);
}

function modemFrom(path: string, ifaces: Record<string, Record<string, unknown>>): ModemInfo | null {
  const m = ifaces[MODEM_IFACE];
  if (!m) return null;
  const g = ifaces[MODEM_3GPP_IFACE] ?? {};
  const ports = Array.isArray(m.Ports) ? (m.Ports as unknown[]) : [];
  const netPorts = ports
    .filter((p): p is [string, number] => Array.isArray(p) && typeof p[0] === 'string' && p[1] === PORT_TYPE_NET)
    .map((p) => p[0]);
  const tech = num(m, 'AccessTechnologies') ?? 0;
  const sq = Array.isArray(m.SignalQuality) ? m.SignalQuality[0] : null;
  const registrationState = num(g, 'RegistrationState');
  return {
    path,
    netPorts,
    primaryPort: str(m, 'PrimaryPort'),
    accessTechnologies: tech,
    generation: generationFromAccessTech(tech),
    signalPercent: typeof sq === 'number' ? sq : null,
    state: num(m, 'State'),
    registrationState,
    roaming: isRoaming(registrationState),
    operator: str(g, 'OperatorName') || null,
  };
}

export interface ModemManagerReaderDeps {
  bus: MessageBus;
  log: Logger;
  retryMs?: number;
}

export function startModemManagerReader(deps: ModemManagerReaderDeps): Promise<ServiceReader<ModemInfo[]>> {
  async function read(): Promise<ModemInfo[]> {
    const objects = await getManagedObjects(deps.bus, MM_NAME, MM_PATH);
    return Object.entries(objects)
      .map(([path, ifaces]) => modemFrom(path, ifaces))
      .filter((m): m is ModemInfo => m !== null)
      .sort((a, b) => a.path.localeCompare(b.path, 'en', { numeric: true }));
  }
  return startServiceReader({
    bus: deps.bus,
    name: MM_NAME,
    pathNamespace: MM_PATH,
    log: deps.log.child({ reader: 'modemmanager' }),
    read,
    relevant: (msg) => msg.member === 'PropertiesChanged' || msg.member === 'InterfacesAdded' || msg.member === 'InterfacesRemoved',
    retryMs: deps.retryMs,
  });
}
