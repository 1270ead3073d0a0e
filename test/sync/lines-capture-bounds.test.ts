// The lines capture when the disk side stalls (here: the hand-off of a rotated file never returns)
// while the device keeps talking: what waits to be written is bounded, the excess is counted as
// dropped lines, and one failing stretch logs once.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import type { Transport } from '../../drivers/transport.js';
import { DeviceEntry, type DeviceConfig } from '../../src/config/sections/devices.js';
import { createLogger } from '../../src/log.js';
import { LinesCapture } from '../../src/sync/lines-capture.js';
import { makeTempDir } from '../support/tmp.js';

class TalkingDevice extends EventEmitter implements Transport {
  readonly kind = 'serial' as const;
  readonly description = 'serial:test';
  readonly mtu = 4096;
  isOpen = false;
  async open(): Promise<void> {
    this.isOpen = true;
  }
  async send(): Promise<void> {}
  async close(): Promise<void> {
    this.isOpen = false;
  }
}

describe('lines capture bounds', () => {
  it('drops and counts lines past 4 MiB waiting for a stalled disk, instead of growing without end', async () => {
    const dir = makeTempDir('ferry-lines-');
    const device = Value.Default(DeviceEntry, {
      id: 'gps', protocol: 'lines', transport: { kind: 'serial', path: '/dev/null' }, lines: { rotateBytes: 1000, upload: { url: 'http://127.0.0.1:9/{name}' } },
    }) as DeviceConfig;
    const dev = new TalkingDevice();
    let stall!: () => void;
    const stalled = new Promise<void>((r) => (stall = r));
    const cap = new LinesCapture({
      device, transfersRoot: dir.path, createTransport: async () => dev, onRotated: () => stalled, onLost: () => undefined, log: createLogger('silent'),
    });
    await cap.start();
    const line = new Uint8Array(1000).fill(0x41);
    for (let i = 0; i < 6000; i++) dev.emit('packet', line); // 6 MB while the first rotation hangs
    await new Promise((r) => setTimeout(r, 200));
    expect(cap.stats.droppedLines).toBeGreaterThan(1000);
    expect(cap.stats.droppedLines).toBeLessThan(6000);
    stall();
    await cap.close();
    expect(cap.stats.lines + cap.stats.droppedLines).toBe(6000);
    dir.cleanup();
  });
});
