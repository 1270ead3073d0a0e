import { describe, expect, it } from 'vitest';
import { BleTransport } from '../../drivers/ble/ble-transport.js';
import { Reconnecting, backoffDelay, type RetryInfo } from '../../drivers/reconnecting.js';
import type { TransportError } from '../../drivers/transport.js';
import { FakeNoble } from '../support/ble-sim/fake-noble.js';
import { ManualClock } from '../support/ble-sim/manual-clock.js';
import { SmpEchoResponder } from '../support/ble-sim/smp-echo-responder.js';
import { waitFor } from '../support/wait.js';

function rig() {
  const noble = new FakeNoble();
  const peripheral = noble.addPeripheral({ address: '11:22:33:44:55:66', name: 'dev', handler: new SmpEchoResponder() });
  const clock = new ManualClock();
  const sup = new Reconnecting({
    create: () => new BleTransport({ noble, target: { address: '11:22:33:44:55:66' }, timers: clock, scanTimeoutMs: 5_000 }),
    timers: clock,
    now: clock.now,
    backoff: { initialMs: 1_000, maxMs: 8_000, stableMs: 30_000 },
  });
  const retries: RetryInfo[] = [];
  const downs: TransportError[] = [];
  sup.on('retry', (r: RetryInfo) => retries.push(r));
  sup.on('down', (r: TransportError) => downs.push(r));
  return { noble, peripheral, clock, sup, retries, downs };
}

describe('Reconnecting', () => {
  it('doubles the wait up to the cap', () => {
    const o = { initialMs: 1_000, maxMs: 8_000 };
    expect([0, 1, 2, 3, 4, 5].map((a) => backoffDelay(a, o))).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
  });

  it('reconnects after a link drop only once the backoff delay has passed', async () => {
    const { peripheral, clock, sup, retries, downs } = rig();
    sup.start();
    await waitFor(() => sup.current?.isOpen, 2000, 'first connection');
    const first = sup.current!;

    peripheral.dropLink();
    await waitFor(() => downs.length === 1, 2000, "'down'");
    expect(downs[0]!.code).toBe('DISCONNECTED');
    expect(sup.current).toBeNull();
    expect(retries.map((r) => r.delayMs)).toEqual([1_000]);

    await clock.advance(999);
    expect(peripheral.connectCount).toBe(1);
    await clock.advance(1);
    await waitFor(() => sup.current?.isOpen, 2000, 'reconnection');
    expect(sup.current).not.toBe(first);
    expect(peripheral.connectCount).toBe(2);
    await sup.stop();
  });

  it('backs off exponentially while the device refuses connections, then recovers', async () => {
    const { peripheral, clock, sup, retries } = rig();
    peripheral.refuseConnections = true;
    sup.start();
    await waitFor(() => retries.length === 1, 2000, 'first retry');
    await clock.advance(1_000);
    await waitFor(() => retries.length === 2, 2000, 'second retry');
    await clock.advance(2_000);
    await waitFor(() => retries.length === 3, 2000, 'third retry');
    expect(retries.map((r) => [r.attempt, r.delayMs, r.error.code])).toEqual([
      [1, 1_000, 'IO'],
      [2, 2_000, 'IO'],
      [3, 4_000, 'IO'],
    ]);
    peripheral.refuseConnections = false;
    await clock.advance(4_000);
    await waitFor(() => sup.current?.isOpen, 2000, 'recovery');
    await sup.stop();
  });

  it('keeps retrying (not crashing) while the adapter is powered off', async () => {
    const { noble, clock, sup, retries } = rig();
    noble.setState('poweredOff');
    sup.start();
    await waitFor(() => retries.length === 1, 2000, 'first retry');
    expect(retries[0]!.error.code).toBe('UNAVAILABLE');
    noble.setState('poweredOn');
    await clock.advance(1_000);
    await waitFor(() => sup.current?.isOpen, 2000, 'connection after power-on');
    await sup.stop();
  });

  it('stop() closes the link and cancels pending retries', async () => {
    const { peripheral, clock, sup } = rig();
    sup.start();
    await waitFor(() => sup.current?.isOpen, 2000, 'connection');
    await sup.stop();
    expect(peripheral.state).toBe('disconnected');
    expect(clock.pending()).toEqual([]);
    await clock.advance(60_000);
    expect(peripheral.connectCount).toBe(1);
  });
});
