// Which configured devices are there right now: serial by device-node existence (or a USB id in sysfs),
// USB by hotplug (UsbWatch), BLE and UDP optimistically (a connect attempt is the probe). A device a job
// just lost stays `absent` until its node is seen to come back (or a recheck period passes), so a
// dead-but-present tty does not make a job flap. Emits 'change' (id, DevicePresence) on every state change.
import { EventEmitter } from 'node:events';
import { stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import { UsbWatch, type UsbMatch } from '../../drivers/usb/usb-watch.js';
import type { DeviceConfig } from '../config/sections/devices.js';
import type { DeviceHardware } from './device-hardware.js';
import { describeTransport, deviceProblems } from './device-config.js';
import { resolveSerialPath, usbFingerprint } from './device-transports.js';

export type PresenceState = 'present' | 'absent' | 'unknown' | 'unavailable' | 'invalid';

export interface DevicePresence {
  id: string;
  kind: DeviceConfig['transport']['kind'];
  transport: string;
  state: PresenceState;
  /** Why it is absent / unavailable / invalid, in words. */
  reason: string | null;
  since: string;
  lastSeenAt: string | null;
}

export interface PresenceOptions {
  devices: readonly DeviceConfig[];
  hw: DeviceHardware;
  log: Logger;
  now?: () => number;
  /** After a job lost a device whose node stays, try it again after this long (default 10 s). */
  recheckMs?: number;
}

interface Entry extends DevicePresence {
  config: DeviceConfig;
  /** Set when a job lost the device: it comes back only when its node reappears or the recheck is due. */
  lostAt: number | null;
  sawGone: boolean;
}

export class DevicePresenceTracker extends EventEmitter {
  private readonly entries = new Map<string, Entry>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly recheckMs: number;
  private usbWatch: UsbWatch | null = null;
  private closed = false;

  constructor(private readonly opts: PresenceOptions) {
    super();
    this.now = opts.now ?? Date.now;
    this.log = opts.log.child({ component: 'device-presence' });
    this.recheckMs = opts.recheckMs ?? 10_000;
    const problems = deviceProblems(opts.devices);
    for (const d of opts.devices) {
      if (this.entries.has(d.id)) continue;
      const problem = problems.get(d.id);
      this.entries.set(d.id, {
        id: d.id, kind: d.transport.kind, transport: describeTransport(d.transport), config: d,
        state: problem ? 'invalid' : 'unknown', reason: problem ?? null, since: this.iso(), lastSeenAt: null, lostAt: null, sawGone: false,
      });
      if (problem) this.log.warn({ device: d.id, problem }, 'device config is invalid; device ignored');
    }
  }

  /** Looks once at every device (so the first decision pass knows), then keeps watching. */
  async start(): Promise<void> {
    const valid = [...this.entries.values()].filter((e) => e.state !== 'invalid');
    const serial = valid.filter((e) => e.kind === 'serial');
    if (serial.length > 0) {
      const binding = await this.opts.hw.serial();
      for (const e of serial) {
        if (binding.ok === null) {
          this.set(e, 'unavailable', binding.error.message);
          continue;
        }
        await this.pollSerial(e);
        const t = setInterval(() => void this.pollSerial(e), e.config.transport.presencePollMs);
        t.unref();
        this.timers.push(t);
      }
    }
    for (const e of valid.filter((x) => x.kind === 'udp')) this.set(e, 'present', null);
    const ble = valid.filter((e) => e.kind === 'ble');
    if (ble.length > 0) {
      const noble = await this.opts.hw.noble();
      for (const e of ble) if (noble.ok === null) this.set(e, 'unavailable', noble.error.message);
    }
    const usb = valid.filter((e) => e.kind === 'usb');
    if (usb.length > 0) await this.startUsb(usb);
    const t = setInterval(() => this.recheck(), Math.min(this.recheckMs, 5000));
    t.unref();
    this.timers.push(t);
  }

  get(id: string): DevicePresence | undefined {
    const e = this.entries.get(id);
    return e ? publicView(e) : undefined;
  }

  all(): DevicePresence[] {
    return [...this.entries.values()].map(publicView);
  }

  /** For the conditions snapshot: devices whose presence is known (unknown and invalid ones are left out). */
  snapshot(): Record<string, { present: boolean; transport: string }> {
    const out: Record<string, { present: boolean; transport: string }> = {};
    for (const e of this.entries.values()) {
      if (e.state === 'unknown' || e.state === 'invalid') continue;
      out[e.id] = { present: e.state === 'present', transport: e.kind };
    }
    return out;
  }

  /** A job lost the device (link dropped, node gone): hold its jobs until it is seen again. */
  markAbsent(id: string, reason: string): void {
    const e = this.entries.get(id);
    if (!e || e.state === 'invalid' || e.state === 'unavailable') return;
    e.lostAt = this.now();
    // Already seen gone by the poller: the next sighting of the node is a replug.
    if (e.state !== 'absent') e.sawGone = false;
    this.set(e, 'absent', reason);
  }

  /** A job reached the device: it is there whatever the watchers thought. */
  markPresent(id: string): void {
    const e = this.entries.get(id);
    if (!e || e.state === 'invalid' || e.state === 'unavailable') return;
    e.lostAt = null;
    e.lastSeenAt = this.iso();
    this.set(e, 'present', null);
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.usbWatch?.stop();
    this.removeAllListeners();
  }

  private async pollSerial(e: Entry): Promise<void> {
    if (this.closed) return;
    let there: boolean;
    let why = 'device node not found';
    try {
      const path = await resolveSerialPath(e.config.transport, this.opts.hw);
      there = await stat(path).then((s) => !s.isDirectory(), () => false);
      if (!there) why = `${path} does not exist`;
    } catch (err) {
      there = false;
      why = (err as Error).message;
    }
    if (this.closed) return;
    if (!there) {
      e.sawGone = true;
      if (e.state !== 'absent') this.set(e, 'absent', why);
      return;
    }
    e.lastSeenAt = this.iso();
    // Lost by a job while the node stayed: wait for it to come back, or for the recheck.
    if (e.lostAt !== null && !e.sawGone && this.now() - e.lostAt < this.recheckMs) return;
    e.lostAt = null;
    if (e.state !== 'present') this.set(e, 'present', null);
  }

  /** BLE and UDP have no watcher: after a loss, let jobs probe again once the recheck period passed. */
  private recheck(): void {
    for (const e of this.entries.values()) {
      if (e.state !== 'absent' || e.lostAt === null || this.now() - e.lostAt < this.recheckMs) continue;
      if (e.kind === 'ble') {
        e.lostAt = null;
        this.set(e, 'unknown', null);
      } else if (e.kind === 'udp') {
        e.lostAt = null;
        this.set(e, 'present', null);
      }
    }
  }

  private async startUsb(list: Entry[]): Promise<void> {
    const usb = await this.opts.hw.usb();
    if (usb.ok === null) {
      for (const e of list) this.set(e, 'unavailable', usb.error.message);
      return;
    }
    const watch = new UsbWatch({
      usb: usb.ok,
      fingerprints: list.map((e) => usbFingerprint(e.config.transport, e.id)),
      sysfsRoot: this.opts.hw.sysRoot,
      log: this.log,
    });
    const byMatch = (m: UsbMatch) => (m.fingerprint.name ? this.entries.get(m.fingerprint.name) : undefined);
    watch.on('attach', (m: UsbMatch) => {
      const e = byMatch(m);
      if (!e) return;
      e.lostAt = null;
      e.lastSeenAt = this.iso();
      this.set(e, 'present', null);
    });
    watch.on('detach', (m: UsbMatch) => {
      const e = byMatch(m);
      if (e) this.set(e, 'absent', `${m.description} detached`);
    });
    try {
      await watch.start();
      this.usbWatch = watch;
      for (const e of list) if (e.state === 'unknown') this.set(e, 'absent', 'not attached');
    } catch (err) {
      for (const e of list) this.set(e, 'unavailable', (err as Error).message);
    }
  }

  private set(e: Entry, state: PresenceState, reason: string | null): void {
    if (e.state === state && e.reason === reason) return;
    const from = e.state;
    e.state = state;
    e.reason = reason;
    e.since = this.iso();
    if (state === 'present') e.lastSeenAt = e.since;
    if (from !== state) this.log.info({ device: e.id, from, state, reason }, 'device presence');
    this.emit('change', e.id, publicView(e));
  }

  private iso(): string {
    return new Date(this.now()).toISOString();
  }
}

function publicView(e: Entry): DevicePresence {
  return { id: e.id, kind: e.kind, transport: e.transport, state: e.state, reason: e.reason, since: e.since, lastSeenAt: e.lastSeenAt };
}
