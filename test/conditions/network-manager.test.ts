import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MessageBus } from 'dbus-next';
import { dbusUnavailableReason, NetworkManagerMock, startPrivateBus, type PrivateBus } from '../support/dbus.js';
import { waitFor } from '../support/wait.js';
import { captureLog } from './log-capture.js';
import { kindFromNm, meteredFromNm, startNetworkManagerReader, type NetworkManagerState } from '../../src/conditions/network-manager.js';
import type { ServiceReader } from '../../src/conditions/dbus-service-reader.js';
import { prerequisite } from '../support/prerequisites.js';

describe('NetworkManager mappings', () => {
  it('maps NM device types, falling back to the connection type, then ethernet', () => {
    expect(kindFromNm(1, null)).toBe('ethernet');
    expect(kindFromNm(2, null)).toBe('wifi');
    expect(kindFromNm(8, null)).toBe('cellular');
    expect(kindFromNm(5, null)).toBe('cellular'); // bluetooth tether
    expect(kindFromNm(13, '802-11-wireless')).toBe('wifi'); // bridge carrying a Wi-Fi profile
    expect(kindFromNm(null, 'gsm')).toBe('cellular');
    expect(kindFromNm(13, null)).toBe('ethernet');
  });

  it('counts yes and guess-yes as metered, and unknown only on cellular', () => {
    expect([1, 2, 3, 4].map((m) => meteredFromNm(m, 'wifi'))).toEqual([true, false, true, false]);
    expect(meteredFromNm(0, 'wifi')).toBe(false);
    expect(meteredFromNm(0, 'cellular')).toBe(true);
  });
});

const skip = prerequisite('NetworkManager bus tests', dbusUnavailableReason());

describe.skipIf(skip !== null)('NetworkManager reader on a private bus', () => {
  let pb: PrivateBus;
  let bus: MessageBus;
  let nm: NetworkManagerMock | null = null;
  let reader: ServiceReader<NetworkManagerState> | null = null;

  beforeAll(async () => {
    pb = await startPrivateBus();
    bus = await pb.connect();
  });
  afterEach(async () => {
    await reader?.close();
    reader = null;
    await nm?.stop();
    nm = null;
  });
  afterAll(async () => {
    await pb?.stop();
  });

  it('reads the primary ethernet connection as unmetered ethernet on eth0', async () => {
    nm = await NetworkManagerMock.start(pb, { primary: 'ethernet' });
    reader = await startNetworkManagerReader({ bus, log: captureLog().log });
    expect(reader.current()).toEqual({
      kind: 'ethernet',
      interface: 'eth0',
      metered: false,
      meteredRaw: 4,
      connectivity: 'full',
      state: 'connected-global',
    });
  });

  it('follows PropertiesChanged when the primary connection moves to the modem and back to none', async () => {
    nm = await NetworkManagerMock.start(pb, { primary: 'wifi' });
    reader = await startNetworkManagerReader({ bus, log: captureLog().log });
    const seen: Array<string | undefined> = [];
    reader.onChange((v) => seen.push(v?.kind));
    expect(reader.current()?.kind).toBe('wifi');

    await nm.setPrimary('cellular');
    const cell = await waitFor(() => (reader!.current()?.kind === 'cellular' ? reader!.current() : null), 5000, 'cellular');
    expect(cell).toMatchObject({ interface: 'wwan0', metered: true, meteredRaw: 3 });

    await nm.setPrimary(null);
    await waitFor(() => reader!.current()?.kind === 'none', 5000, 'no primary connection');
    expect(reader.current()).toMatchObject({ interface: null, metered: false, state: 'disconnected' });
    expect(seen).toEqual(['cellular', 'none']);
  });

  it('follows the metered value NM reports for the primary device', async () => {
    nm = await NetworkManagerMock.start(pb, { primary: 'wifi' });
    reader = await startNetworkManagerReader({ bus, log: captureLog().log });
    await nm.setMetered('yes');
    await waitFor(() => reader!.current()?.metered === true, 5000, 'metered yes');
    await nm.setMetered('guess-no');
    await waitFor(() => reader!.current()?.metered === false, 5000, 'metered guess-no');
    await nm.setMetered('guess-yes');
    await waitFor(() => reader!.current()?.metered === true, 5000, 'metered guess-yes');
    expect(reader.current()?.meteredRaw).toBe(3);
    await nm.setConnectivity('portal');
    await waitFor(() => reader!.current()?.connectivity === 'portal', 5000, 'portal');
  });

  it('becomes unavailable with one log line when NM stops, and re-reads when it comes back', async () => {
    const cap = captureLog();
    nm = await NetworkManagerMock.start(pb, { primary: 'ethernet' });
    reader = await startNetworkManagerReader({ bus, log: cap.log });
    expect(reader.current()?.kind).toBe('ethernet');

    await nm.stop();
    await waitFor(() => reader!.current() === null, 5000, 'unavailable');
    expect(cap.matching('unavailable')).toBe(1);

    await nm.setPrimary('wifi', 'yes'); // the world changed while NM was away
    await nm.start();
    const back = await waitFor(() => (reader!.current()?.kind === 'wifi' ? reader!.current() : null), 10_000, 'wifi after restart');
    expect(back).toMatchObject({ interface: 'wlan0', metered: true });
    expect(cap.matching('available again')).toBeGreaterThanOrEqual(1);

    // Subscriptions survive the restart: a change after it is still seen.
    await nm.setPrimary('ethernet');
    await waitFor(() => reader!.current()?.kind === 'ethernet', 5000, 'ethernet after restart');
  });

  it('starts without NM on the bus as unavailable, and picks NM up when it appears', async () => {
    const cap = captureLog();
    reader = await startNetworkManagerReader({ bus, log: cap.log });
    expect(reader.current()).toBeNull();
    expect(cap.matching('not on the bus')).toBe(1);
    nm = await NetworkManagerMock.start(pb, { primary: 'cellular' });
    await waitFor(() => reader!.current()?.kind === 'cellular', 10_000, 'cellular once NM appears');
  });
});
