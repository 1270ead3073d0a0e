// NetworkManager played by dbusmock's stock template, completed with what current NM has and the
// template lacks: Manager.PrimaryConnection/PrimaryConnectionType/Metered, Device.Metered, a modem
// device and active connections. Changes go out as the standard Properties.PropertiesChanged.
import type { MockProcess, PrivateBus } from '../dbus.js';
import { addObject, addProperty, updateProperties, v } from './mock-calls.js';

export type LinkKind = 'ethernet' | 'wifi' | 'cellular';
export type MeteredValue = boolean | 'unknown' | 'yes' | 'no' | 'guess-yes' | 'guess-no';

const NAME = 'org.freedesktop.NetworkManager';
const MAIN = '/org/freedesktop';
const MANAGER = '/org/freedesktop/NetworkManager';
const NM_IFACE = 'org.freedesktop.NetworkManager';
const DEVICE_IFACE = 'org.freedesktop.NetworkManager.Device';
const ACTIVE_IFACE = 'org.freedesktop.NetworkManager.Connection.Active';

const LINKS: Record<LinkKind, { device: string; ac: string; connType: string; ipInterface: string }> = {
  ethernet: { device: `${MANAGER}/Devices/eth0`, ac: `${MANAGER}/ActiveConnection/1`, connType: '802-3-ethernet', ipInterface: 'eth0' },
  wifi: { device: `${MANAGER}/Devices/wlan0`, ac: `${MANAGER}/ActiveConnection/2`, connType: '802-11-wireless', ipInterface: 'wlan0' },
  cellular: { device: `${MANAGER}/Devices/modem0`, ac: `${MANAGER}/ActiveConnection/3`, connType: 'gsm', ipInterface: 'wwan0' },
};

const METERED: Record<string, number> = { unknown: 0, yes: 1, no: 2, 'guess-yes': 3, 'guess-no': 4 };
const CONNECTIVITY = { unknown: 0, none: 1, portal: 2, limited: 3, full: 4 } as const;

function meteredNumber(m: MeteredValue | undefined, kind: LinkKind | null): number {
  if (m === undefined) return kind === 'cellular' ? 3 : kind ? 4 : 0; // what NM guesses by device type
  if (typeof m === 'boolean') return m ? 1 : 2;
  return METERED[m]!;
}

export class NetworkManagerMock {
  private proc: MockProcess | null = null;
  private primary: LinkKind | null;
  private metered: number;
  private connectivity: number = CONNECTIVITY.full;

  constructor(
    private readonly bus: PrivateBus,
    opts: { primary?: LinkKind | null; metered?: MeteredValue } = {},
  ) {
    this.primary = opts.primary === undefined ? 'ethernet' : opts.primary;
    this.metered = meteredNumber(opts.metered, this.primary);
  }

  /** Starts a NetworkManager mock with eth0, wlan0 and a modem (wwan0); `primary` is the active link. */
  static async start(bus: PrivateBus, opts: { primary?: LinkKind | null; metered?: MeteredValue } = {}): Promise<NetworkManagerMock> {
    const nm = new NetworkManagerMock(bus, opts);
    await nm.start();
    return nm;
  }

  get running(): boolean {
    return this.proc !== null;
  }

  /** (Re)starts the daemon with the current model: what a NetworkManager restart looks like on the bus. */
  async start(): Promise<void> {
    if (this.proc) return;
    this.proc = await this.bus.startMock('networkmanager', NAME, MAIN);
    const call = (member: string, sig: string, body: unknown[]) => this.bus.call(NAME, MAIN, 'org.freedesktop.DBus.Mock', member, sig, body);
    await call('AddEthernetDevice', 'ssi', ['eth0', 'eth0', 100]);
    await call('AddWiFiDevice', 'ssi', ['wlan0', 'wlan0', 100]);
    await addObject(this.bus, NAME, MAIN, LINKS.cellular.device, DEVICE_IFACE, {
      DeviceType: v('u', 8),
      Interface: v('s', 'cdc-wdm0'),
      IpInterface: v('s', 'wwan0'),
      State: v('u', 100),
      ActiveConnection: v('o', '/'),
      Managed: v('b', true),
      Driver: v('s', 'qmi_wwan'),
      Metered: v('u', 3),
    });
    for (const kind of ['ethernet', 'wifi'] as const) await addProperty(this.bus, NAME, LINKS[kind].device, DEVICE_IFACE, 'Metered', v('u', 4));
    for (const [kind, link] of Object.entries(LINKS)) {
      await addObject(this.bus, NAME, MAIN, link.ac, ACTIVE_IFACE, {
        Devices: v('ao', [link.device]),
        Type: v('s', link.connType),
        Id: v('s', `mock ${kind}`),
        Uuid: v('s', `00000000-0000-0000-0000-00000000000${link.ac.slice(-1)}`),
        State: v('u', 2),
        Default: v('b', false),
        Default6: v('b', false),
        Vpn: v('b', false),
        Connection: v('o', '/'),
        SpecificObject: v('o', '/'),
      });
    }
    await addProperty(this.bus, NAME, MANAGER, NM_IFACE, 'PrimaryConnection', v('o', '/'));
    await addProperty(this.bus, NAME, MANAGER, NM_IFACE, 'PrimaryConnectionType', v('s', ''));
    await addProperty(this.bus, NAME, MANAGER, NM_IFACE, 'Metered', v('u', 0));
    await this.apply();
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    await p?.stop();
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Makes `kind` the primary connection (null: disconnected); metered defaults to NM's guess for the kind. */
  async setPrimary(kind: LinkKind | null, metered?: MeteredValue): Promise<void> {
    this.primary = kind;
    this.metered = meteredNumber(metered, kind);
    if (this.proc) await this.apply();
  }

  async setMetered(metered: MeteredValue): Promise<void> {
    this.metered = meteredNumber(metered, this.primary);
    if (this.proc) await this.apply();
  }

  async setConnectivity(c: keyof typeof CONNECTIVITY): Promise<void> {
    this.connectivity = CONNECTIVITY[c];
    if (this.proc) await updateProperties(this.bus, NAME, MAIN, MANAGER, NM_IFACE, { Connectivity: v('u', this.connectivity) });
  }

  // Device first, then the manager in one PropertiesChanged, as NM announces a new primary connection.
  private async apply(): Promise<void> {
    const link = this.primary ? LINKS[this.primary] : null;
    if (link) await updateProperties(this.bus, NAME, MAIN, link.device, DEVICE_IFACE, { Metered: v('u', this.metered) });
    await updateProperties(this.bus, NAME, MAIN, MANAGER, NM_IFACE, {
      PrimaryConnection: v('o', link ? link.ac : '/'),
      PrimaryConnectionType: v('s', link ? link.connType : ''),
      ActiveConnections: v('ao', link ? [link.ac] : []),
      Metered: v('u', link ? this.metered : 0),
      State: v('u', link ? 70 : 20),
      Connectivity: v('u', link ? this.connectivity : CONNECTIVITY.none),
    });
  }
}
