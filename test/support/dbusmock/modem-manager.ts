// ModemManager played by our dbusmock template (modemmanager.py): add/remove modems, change access
// technology, registration (roaming) and signal through the standard PropertiesChanged.
import type { Generation } from '../../../src/conditions/snapshot.js';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MockProcess, PrivateBus } from '../dbus.js';
import { MOCK_IFACE, updateProperties, v } from './mock-calls.js';

export const MODEMMANAGER_TEMPLATE = join(dirname(fileURLToPath(import.meta.url)), 'modemmanager.py');
const NAME = 'org.freedesktop.ModemManager1';
const MAIN = '/org/freedesktop/ModemManager1';
const MODEM_IFACE = 'org.freedesktop.ModemManager1.Modem';
const MODEM_3GPP_IFACE = 'org.freedesktop.ModemManager1.Modem.Modem3gpp';

/** One representative AccessTechnologies mask per generation (EDGE, HSPA+, LTE, 5GNR). */
export const ACCESS_TECH: Record<Generation, number> = { '2g': 1 << 4, '3g': 1 << 9, '4g': 1 << 14, '5g': 1 << 15 };

export interface ModemSpec {
  netPort?: string;
  accessTech?: number | Generation;
  roaming?: boolean;
  registrationState?: number;
  operator?: string;
  signalPercent?: number;
}

function techMask(t: number | Generation): number {
  return typeof t === 'number' ? t : ACCESS_TECH[t];
}

export class ModemManagerMock {
  private proc: MockProcess | null = null;
  /** Paths of the modems added, in order. */
  readonly modems: string[] = [];

  constructor(private readonly bus: PrivateBus) {}

  static async start(bus: PrivateBus, modems: ModemSpec[] = []): Promise<ModemManagerMock> {
    const mm = new ModemManagerMock(bus);
    await mm.start();
    for (const m of modems) await mm.addModem(m);
    return mm;
  }

  async start(): Promise<void> {
    if (this.proc) return;
    this.modems.length = 0;
    this.proc = await this.bus.startMock(MODEMMANAGER_TEMPLATE, NAME, MAIN);
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    await p?.stop();
  }

  async addModem(spec: ModemSpec = {}): Promise<string> {
    const props: Record<string, ReturnType<typeof v>> = {
      NetPort: v('s', spec.netPort ?? 'wwan0'),
      AccessTechnologies: v('u', techMask(spec.accessTech ?? '4g')),
      RegistrationState: v('u', spec.registrationState ?? (spec.roaming ? 5 : 1)),
      OperatorName: v('s', spec.operator ?? 'Ferry Mobile'),
      SignalQuality: v('u', spec.signalPercent ?? 70),
    };
    const [path] = await this.bus.call(NAME, MAIN, MOCK_IFACE, 'AddModem', 'a{sv}', [props]);
    this.modems.push(path as string);
    return path as string;
  }

  async removeModem(path = this.modems[0]!): Promise<void> {
    await this.bus.call(NAME, MAIN, MOCK_IFACE, 'RemoveModem', 'o', [path]);
    this.modems.splice(this.modems.indexOf(path), 1);
  }

  async setAccessTech(tech: number | Generation, path = this.modems[0]!): Promise<void> {
    await updateProperties(this.bus, NAME, MAIN, path, MODEM_IFACE, { AccessTechnologies: v('u', techMask(tech)) });
  }

  async setSignal(percent: number, path = this.modems[0]!): Promise<void> {
    await updateProperties(this.bus, NAME, MAIN, path, MODEM_IFACE, { SignalQuality: v('(ub)', [percent, true]) });
  }

  /** Roaming is RegistrationState 5 (ROAMING); home is 1 (HOME). */
  async setRoaming(roaming: boolean, path = this.modems[0]!): Promise<void> {
    await this.setRegistration(roaming ? 5 : 1, path);
  }

  async setRegistration(state: number, path = this.modems[0]!): Promise<void> {
    await updateProperties(this.bus, NAME, MAIN, path, MODEM_3GPP_IFACE, { RegistrationState: v('u', state) });
  }
}
