// An SMP device simulator behind a real socat pty, reached through a stable symlink the way a gateway
// reaches /dev/serial/by-id/…: unplug() kills the pty (the link dangles), replug() makes a new pty and
// points the same link at it. Cleans up after itself.
import { rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { SmpDeviceSim, type SmpSimKnobs } from '../support/smp-sim/smp-device-sim.js';
import type { SerialFrontend } from '../support/smp-sim/serial-frontend.js';
import { openPtyPair, type PtyPair } from '../support/pty.js';

export class SerialDeviceBench {
  readonly sim: SmpDeviceSim;
  /** The path to configure as the device's serial path. */
  readonly link: string;
  private pty: PtyPair | null = null;
  private frontend: SerialFrontend | null = null;

  private constructor(dir: string, name: string, knobs: Partial<SmpSimKnobs>) {
    this.sim = new SmpDeviceSim(knobs);
    this.link = join(dir, name);
  }

  static async start(dir: string, name = 'ttyDEV0', knobs: Partial<SmpSimKnobs> = {}): Promise<SerialDeviceBench> {
    const b = new SerialDeviceBench(dir, name, knobs);
    await b.replug();
    return b;
  }

  get plugged(): boolean {
    return this.pty !== null;
  }

  async unplug(): Promise<void> {
    await this.frontend?.close();
    await this.pty?.close();
    this.frontend = null;
    this.pty = null;
  }

  async replug(): Promise<void> {
    await this.unplug();
    const pty = await openPtyPair();
    this.frontend = await this.sim.attachSerial(pty.b);
    rmSync(this.link, { force: true });
    symlinkSync(pty.a, this.link);
    this.pty = pty;
  }

  async close(): Promise<void> {
    await this.unplug();
    rmSync(this.link, { force: true });
  }
}
