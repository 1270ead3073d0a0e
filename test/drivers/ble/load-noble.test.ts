import { describe, expect, it } from 'vitest';
import { loadNoble } from '../../../drivers/ble/load-noble.js';
import type { TransportError } from '../../../drivers/transport.js';
import { FakeNoble, errnoError, failingNobleImport } from '../../support/ble-sim/fake-noble.js';

describe('loadNoble', () => {
  it('returns null and reports UNAVAILABLE when loading noble fails with EAFNOSUPPORT', async () => {
    let reason: TransportError | undefined;
    const noble = await loadNoble({ importer: failingNobleImport('EAFNOSUPPORT'), onUnavailable: (e) => (reason = e) });
    expect(noble).toBeNull();
    expect(reason?.code).toBe('UNAVAILABLE');
    expect(reason?.message).toMatch(/kernel has no Bluetooth support/);
    expect((reason?.cause as { code?: string }).code).toBe('EAFNOSUPPORT');
  });

  it('returns null when the HCI init behind noble.state throws (no adapter)', async () => {
    const fake = new FakeNoble();
    fake.initError = errnoError('ENODEV');
    let reason: TransportError | undefined;
    const noble = await loadNoble({ importer: async () => ({ default: fake }), onUnavailable: (e) => (reason = e) });
    expect(noble).toBeNull();
    expect(reason?.message).toMatch(/no Bluetooth adapter/);
  });

  it('returns the module when it loads and initialises', async () => {
    const fake = new FakeNoble();
    expect(await loadNoble({ importer: async () => ({ default: fake }) })).toBe(fake);
  });

  it('asks for the ACL buffer sizes on power-on when noble runs on an HCI user channel', async () => {
    const fake = new FakeNoble({ state: 'unknown' });
    let reads = 0;
    Object.assign(fake, { _bindings: { _hci: { readLeBufferSize: () => reads++ } } });
    await loadNoble({ importer: async () => ({ default: fake }), env: { HCI_CHANNEL_USER: '1' } });
    expect(reads).toBe(0);
    fake.emit('stateChange', 'poweredOn');
    expect(reads).toBe(1);
  });

  it('leaves noble alone on the raw HCI channel, whose own init reads the buffer sizes', async () => {
    const fake = new FakeNoble({ state: 'unknown' });
    let reads = 0;
    Object.assign(fake, { _bindings: { _hci: { readLeBufferSize: () => reads++ } } });
    await loadNoble({ importer: async () => ({ default: fake }), env: {} });
    fake.emit('stateChange', 'poweredOn');
    expect(reads).toBe(0);
  });

  it('never throws with the real noble module, whatever this machine has', async () => {
    let reason: TransportError | undefined;
    const noble = await loadNoble({ onUnavailable: (e) => (reason = e) });
    if (noble === null) {
      console.info(`real noble unavailable here: ${reason?.message}`);
      expect(reason?.code).toBe('UNAVAILABLE');
    } else {
      expect(typeof noble.startScanningAsync).toBe('function');
    }
  });
});
