// UPower played by dbusmock's stock template: OnBattery on the daemon and the DisplayDevice's charge,
// changed through the standard PropertiesChanged.
import type { MockProcess, PrivateBus } from '../dbus.js';
import { updateProperties, v } from './mock-calls.js';

const NAME = 'org.freedesktop.UPower';
const MAIN = '/org/freedesktop/UPower';
const DISPLAY = '/org/freedesktop/UPower/devices/DisplayDevice';
const DEVICE_IFACE = 'org.freedesktop.UPower.Device';

export type BatteryState = 'charging' | 'discharging' | 'empty' | 'full' | 'pending-charge' | 'pending-discharge';
const STATES: Record<BatteryState, number> = {
  charging: 1,
  discharging: 2,
  empty: 3,
  full: 4,
  'pending-charge': 5,
  'pending-discharge': 6,
};

export class UPowerMock {
  private proc: MockProcess | null = null;

  constructor(private readonly bus: PrivateBus) {}

  static async start(bus: PrivateBus, opts: { onBattery?: boolean } = {}): Promise<UPowerMock> {
    const up = new UPowerMock(bus);
    await up.start(opts);
    return up;
  }

  async start(opts: { onBattery?: boolean } = {}): Promise<void> {
    if (this.proc) return;
    this.proc = await this.bus.startMock('upower', NAME, MAIN, { OnBattery: opts.onBattery ?? false });
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    await p?.stop();
  }

  async setOnBattery(onBattery: boolean): Promise<void> {
    await updateProperties(this.bus, NAME, MAIN, MAIN, 'org.freedesktop.UPower', { OnBattery: v('b', onBattery) });
  }

  /** A present battery (UPower device type 2) at `percent` in `state`. */
  async setBattery(percent: number, state: BatteryState): Promise<void> {
    await updateProperties(this.bus, NAME, MAIN, DISPLAY, DEVICE_IFACE, {
      Type: v('u', 2),
      IsPresent: v('b', true),
      Percentage: v('d', percent),
      State: v('u', STATES[state]),
    });
  }
}
