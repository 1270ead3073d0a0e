// Reports ferry's USB devices as they come and go: 'attach'/'detach' with what matched and how to reach
// it (a /dev/ttyACMn for CDC-ACM, an interface number for vendor bulk). Without USB support start()
// rejects with UNAVAILABLE and nothing else happens; a device that fails to describe is logged, not thrown.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { TransportError } from '../transport.js';
import { systemTimers, type Timers } from '../timers.js';
import { findCdcAcmTty } from './cdc-acm-tty.js';
import { matchUsbDevice, type UsbClassName, type UsbFingerprint } from './fingerprint.js';
import { usbUnavailableError } from './usb-errors.js';
import { describeUsbDevice, sameUsbDevice, usbPortPath, type UsbDeviceLike, type UsbLike } from './usb-like.js';

export interface UsbMatch {
  device: UsbDeviceLike;
  fingerprint: UsbFingerprint;
  kind: UsbClassName;
  interfaceNumber: number;
  serial: string | undefined;
  /** "1-1.2": stable while the device stays in the same port. */
  portPath: string;
  /** e.g. "usb:2fe3:0100@1-1.2" */
  description: string;
  /** CDC-ACM only: "/dev/ttyACM0", or null if the kernel did not create a tty within ttyWaitMs. */
  ttyPath?: string | null;
}

export interface UsbWatchOptions {
  /** From loadUsb(); null means USB is unavailable. */
  usb: UsbLike | null;
  fingerprints: readonly UsbFingerprint[];
  /** Why usb is null (loadUsb's report). */
  unavailable?: TransportError;
  sysfsRoot?: string;
  /** The tty appears after cdc_acm binds, shortly after the USB attach: how long to look for it. */
  ttyWaitMs?: number;
  ttyPollMs?: number;
  timers?: Timers;
  log?: Logger;
}

/** Events: 'attach' (UsbMatch), 'detach' (UsbMatch). */
const MAX_GONE = 64;

export class UsbWatch extends EventEmitter {
  private readonly opts: UsbWatchOptions;
  private readonly timers: Timers;
  private readonly log: Logger | undefined;
  private readonly present: UsbMatch[] = [];
  /** Devices detached while their attach was still being examined. */
  private readonly gone = new Set<UsbDeviceLike>();
  private running = false;

  constructor(opts: UsbWatchOptions) {
    super();
    this.opts = opts;
    this.timers = opts.timers ?? systemTimers();
    this.log = opts.log?.child({ component: 'usb' });
  }

  /** Matching devices currently attached. */
  get matches(): readonly UsbMatch[] {
    return this.present;
  }

  /** Subscribes to hotplug, then reports devices already present ('attach' for each); resolves with them. */
  async start(): Promise<UsbMatch[]> {
    const usb = this.opts.usb;
    if (usb === null) throw this.opts.unavailable ?? new TransportError('UNAVAILABLE', 'USB is not available');
    if (this.running) return [...this.present];
    let devices: UsbDeviceLike[];
    try {
      devices = await usb.getDeviceList();
    } catch (e) {
      throw usbUnavailableError(e);
    }
    this.running = true;
    usb.on('attach', this.onAttach);
    usb.on('detach', this.onDetach);
    await Promise.all(devices.map((d) => this.examine(d)));
    return [...this.present];
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.opts.usb?.removeListener('attach', this.onAttach);
    this.opts.usb?.removeListener('detach', this.onDetach);
  }

  private readonly onAttach = (dev: UsbDeviceLike): void => {
    this.takeGone(dev);
    void this.examine(dev);
  };

  private readonly onDetach = (dev: UsbDeviceLike): void => {
    const i = this.present.findIndex((m) => sameUsbDevice(m.device, dev));
    if (i < 0) {
      // Remembered for an examine() still running; every unmatched device detaching lands here too, so
      // only the latest few are kept (a flapping hub must not grow the set for years).
      if (this.gone.size >= MAX_GONE) this.gone.delete(this.gone.values().next().value!);
      this.gone.add(dev);
      return;
    }
    const [match] = this.present.splice(i, 1);
    this.log?.info({ device: match!.description }, 'detached');
    this.emit('detach', match);
  };

  private async examine(dev: UsbDeviceLike): Promise<void> {
    try {
      const m = await matchUsbDevice(dev, this.opts.fingerprints);
      if (m === undefined) return;
      const match: UsbMatch = { device: dev, ...m, portPath: usbPortPath(dev), description: describeUsbDevice(dev) };
      if (m.kind === 'cdc-acm') match.ttyPath = await this.waitForTty(dev, m.interfaceNumber);
      if (!this.running || this.takeGone(dev)) return;
      if (this.present.some((p) => sameUsbDevice(p.device, dev))) return;
      this.present.push(match);
      this.log?.info({ device: match.description, kind: match.kind, tty: match.ttyPath }, 'attached');
      this.emit('attach', match);
    } catch (e) {
      this.log?.warn({ device: describeUsbDevice(dev), err: String(e) }, 'could not examine USB device');
    }
  }

  private takeGone(dev: UsbDeviceLike): boolean {
    for (const g of this.gone) {
      if (sameUsbDevice(g, dev)) {
        this.gone.delete(g);
        return true;
      }
    }
    return false;
  }

  private async waitForTty(dev: UsbDeviceLike, interfaceNumber: number): Promise<string | null> {
    const root = this.opts.sysfsRoot ?? '/sys';
    const wait = this.opts.ttyWaitMs ?? 3_000;
    const poll = this.opts.ttyPollMs ?? 100;
    for (let waited = 0; ; waited += poll) {
      const tty = await findCdcAcmTty(root, dev, interfaceNumber);
      if (tty !== null || waited >= wait || !this.running) return tty;
      await new Promise<void>((resolve) => this.timers.setTimeout(resolve, poll));
    }
  }
}
