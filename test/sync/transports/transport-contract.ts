// The contract every transport provider keeps, run over each kind with its simulator (providers.test.ts):
// open and an SMP echo, close twice, reopen, the device going away (DISCONNECTED; TIMEOUT for kinds without
// a link), a missing library (UNAVAILABLE), and the presence watch.
import { Value } from '@sinclair/typebox/value';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { TransportError, type Transport } from '../../../drivers/transport.js';
import { DeviceEntry, type DeviceConfig } from '../../../src/config/sections/devices.js';
import type { DeviceHardware } from '../../../src/sync/device-hardware.js';
import { SmpClient } from '../../../src/sync/smp/smp-client.js';
import type { PresenceSink, TransportProvider } from '../../../src/sync/transports/transport-provider.js';
import { waitFor } from '../../support/wait.js';

export interface ContractRig {
  /** The device's transport config, pointing at the simulator. */
  transport: Record<string, unknown>;
  hw: DeviceHardware;
  /** The device goes away: unplug, link drop, its server gone. */
  vanish(): Promise<void>;
  close(): Promise<void>;
}

export interface ContractHarness {
  /** A fresh simulator and the hardware that reaches it. */
  start(): Promise<ContractRig>;
  /** true: the transport has a link that closes with DISCONNECTED; false (udp): a lost device times out. */
  link: boolean;
  /** watched: the watch reports present, then absent after vanish(); presumed: reported present; probed: not reported. */
  presence: 'watched' | 'presumed' | 'probed';
  /** Whether the kind needs a library (serialport, noble, usb) that can be missing. */
  library: boolean;
}

const log = pino({ level: 'silent' });

export function deviceWith(transport: Record<string, unknown>, id = 'dut'): DeviceConfig {
  return Value.Default(DeviceEntry, { id, transport: { ...transport } }) as DeviceConfig;
}

function recordingSink(): PresenceSink & { events: string[] } {
  const events: string[] = [];
  return {
    events,
    seen: (id) => void events.push(`seen ${id}`),
    arrived: (id) => void events.push(`arrived ${id}`),
    gone: (id) => void events.push(`gone ${id}`),
    unavailable: (id) => void events.push(`unavailable ${id}`),
  };
}

const missingLibrary = async () => ({ ok: null, error: new TransportError('UNAVAILABLE', 'library not loadable (test)') });

export function transportContract(provider: TransportProvider, harness: ContractHarness): void {
  describe(`${provider.kind} transport provider contract`, () => {
    const cleanups: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
    });
    async function rig() {
      const r = await harness.start();
      cleanups.push(() => r.close());
      return { ...r, device: deviceWith(r.transport) };
    }
    async function connect(device: DeviceConfig, hw: DeviceHardware) {
      const t: Transport = await provider.open(device, hw, log);
      cleanups.push(() => t.close());
      await t.open();
      return { t, client: new SmpClient(t, { timeoutMs: 500, retries: 0 }) };
    }

    it('validates and describes its config', async () => {
      const { device } = await rig();
      expect(provider.validate(device.transport)).toBeNull();
      expect(provider.describe(device.transport)).toMatch(new RegExp(`^${provider.kind}:.`));
      expect(provider.validate(deviceWith({ kind: provider.kind }).transport)).toMatch(/needs/);
    });

    it('opens and answers an SMP echo', async () => {
      const { device, hw } = await rig();
      const { t, client } = await connect(device, hw);
      expect(t.isOpen).toBe(true);
      expect(t.kind).toBe(provider.kind);
      expect(await client.os.echo('contract')).toBe('contract');
    });

    it('closes idempotently, and a new transport reopens the device', async () => {
      const { device, hw } = await rig();
      const first = await connect(device, hw);
      await first.t.close();
      await first.t.close();
      expect(first.t.isOpen).toBe(false);
      await expect(first.t.send(new Uint8Array(8))).rejects.toMatchObject({ code: 'DISCONNECTED' });
      const again = await connect(device, hw);
      expect(await again.client.os.echo('again')).toBe('again');
    });

    it(harness.link ? 'fails requests with DISCONNECTED and closes when the device goes away' : 'times out requests when the device goes away', async () => {
      const r = await rig();
      const { t, client } = await connect(r.device, r.hw);
      expect(await client.os.echo('before')).toBe('before');
      const closes: Array<TransportError | undefined> = [];
      t.on('close', (reason?: TransportError) => closes.push(reason));
      await r.vanish();
      if (harness.link) {
        await waitFor(() => closes.length > 0, 5000, 'close event');
        expect(closes[0]).toMatchObject({ code: 'DISCONNECTED' });
        expect(t.isOpen).toBe(false);
        await expect(client.os.echo('after')).rejects.toMatchObject({ code: 'DISCONNECTED' });
      } else {
        await expect(client.os.echo('after')).rejects.toMatchObject({ code: 'TIMEOUT' });
      }
    });

    it(`reports presence as ${harness.presence}`, async () => {
      const r = await rig();
      const sink = recordingSink();
      const watch = await provider.watch([r.device], sink, { hw: r.hw, log });
      cleanups.push(async () => watch.stop());
      if (harness.presence === 'probed') {
        expect(sink.events).toEqual([]);
        expect(provider.afterLoss).toBe('unknown');
        return;
      }
      await waitFor(() => sink.events.length > 0, 5000, 'first presence report');
      expect(sink.events[0]).toMatch(/^(seen|arrived) dut$/);
      if (harness.presence === 'presumed') {
        expect(provider.afterLoss).toBe('present');
        return;
      }
      expect(provider.afterLoss).toBeNull();
      await r.vanish();
      await waitFor(() => sink.events.includes('gone dut'), 5000, 'absence report');
    });

    // udp needs no library: node:dgram is always there.
    if (harness.library) it('is UNAVAILABLE, and watched as unavailable, without its library', async () => {
      const r = await rig();
      const hw: DeviceHardware = { ...r.hw, serial: missingLibrary, noble: missingLibrary, usb: missingLibrary };
      await expect(provider.open(r.device, hw, log).then((t) => t.open())).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      const sink = recordingSink();
      (await provider.watch([r.device], sink, { hw, log })).stop();
      expect(sink.events).toEqual(['unavailable dut']);
    });
  });
}
