import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MessageBus } from 'dbus-next';
import { dbusUnavailableReason, ModemManagerMock, startPrivateBus, type PrivateBus } from '../support/dbus.js';
import { waitFor } from '../support/wait.js';
import { captureLog } from './log-capture.js';
import {
  generationFromAccessTech,
  isRoaming,
  startModemManagerReader,
  type ModemInfo,
} from '../../src/conditions/modem-manager.js';
import { modemForInterface } from '../../src/conditions/compose-snapshot.js';
import type { ServiceReader } from '../../src/conditions/dbus-service-reader.js';
import { prerequisite } from '../support/prerequisites.js';

describe('ModemManager mappings', () => {
  it('maps every AccessTechnologies bit to its generation', () => {
    const table: Array<[number, string | null]> = [
      [0, null], // unknown
      [1 << 0, null], // POTS
      [1 << 1, '2g'], // GSM
      [1 << 2, '2g'], // GSM compact
      [1 << 3, '2g'], // GPRS
      [1 << 4, '2g'], // EDGE
      [1 << 5, '3g'], // UMTS
      [1 << 6, '3g'], // HSDPA
      [1 << 7, '3g'], // HSUPA
      [1 << 8, '3g'], // HSPA
      [1 << 9, '3g'], // HSPA+
      [1 << 10, '3g'], // 1xRTT
      [1 << 11, '3g'], // EVDO0
      [1 << 12, '3g'], // EVDOA
      [1 << 13, '3g'], // EVDOB
      [1 << 14, '4g'], // LTE
      [1 << 15, '5g'], // 5GNR
      [1 << 16, '4g'], // LTE Cat-M
      [1 << 17, '2g'], // NB-IoT: GPRS-class throughput
      [0xffffffff, null], // ANY is a mask, not a state
    ];
    for (const [mask, gen] of table) expect([mask, generationFromAccessTech(mask)]).toEqual([mask, gen]);
  });

  it('takes the best generation when several bits are set (LTE with 5G NSA)', () => {
    expect(generationFromAccessTech((1 << 14) | (1 << 15))).toBe('5g');
    expect(generationFromAccessTech((1 << 4) | (1 << 9))).toBe('3g');
  });

  it('treats registration states 5, 7 and 10 as roaming', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].filter((s) => isRoaming(s))).toEqual([5, 7, 10]);
    expect(isRoaming(null)).toBe(false);
  });

  it('finds the modem behind an interface by its net port, else the first modem', () => {
    const m = (path: string, port: string) => ({ path, netPorts: [port] }) as ModemInfo;
    const modems = [m('/M/0', 'wwan0'), m('/M/1', 'wwan1')];
    expect(modemForInterface(modems, 'wwan1')?.path).toBe('/M/1');
    expect(modemForInterface(modems, 'usb0')?.path).toBe('/M/0');
    expect(modemForInterface([], 'wwan0')).toBeNull();
  });
});

const skip = prerequisite('ModemManager bus tests', dbusUnavailableReason());

describe.skipIf(skip !== null)('ModemManager reader on a private bus', () => {
  let pb: PrivateBus;
  let bus: MessageBus;
  let mm: ModemManagerMock | null = null;
  let reader: ServiceReader<ModemInfo[]> | null = null;

  beforeAll(async () => {
    pb = await startPrivateBus();
    bus = await pb.connect();
  });
  afterEach(async () => {
    await reader?.close();
    reader = null;
    await mm?.stop();
    mm = null;
  });
  afterAll(async () => {
    await pb?.stop();
  });

  it('reads a modem: net port, generation, signal, registration and operator', async () => {
    mm = await ModemManagerMock.start(pb, [{ netPort: 'wwan0', accessTech: '4g', operator: 'Ferry Mobile', signalPercent: 63 }]);
    reader = await startModemManagerReader({ bus, log: captureLog().log });
    expect(reader.current()).toEqual([
      {
        path: '/org/freedesktop/ModemManager1/Modem/0',
        netPorts: ['wwan0'],
        primaryPort: 'cdc-wdm0',
        accessTechnologies: 1 << 14,
        generation: '4g',
        signalPercent: 63,
        state: 11,
        registrationState: 1,
        roaming: false,
        operator: 'Ferry Mobile',
      },
    ]);
  });

  it('follows access technology, roaming and signal through PropertiesChanged', async () => {
    mm = await ModemManagerMock.start(pb, [{ accessTech: '4g' }]);
    reader = await startModemManagerReader({ bus, log: captureLog().log });
    await mm.setAccessTech('2g');
    await waitFor(() => reader!.current()?.[0]?.generation === '2g', 5000, '2g');
    await mm.setRoaming(true);
    await waitFor(() => reader!.current()?.[0]?.roaming === true, 5000, 'roaming');
    await mm.setRegistration(10); // roaming, CSFB not preferred
    await waitFor(() => reader!.current()?.[0]?.registrationState === 10, 5000, 'registration 10');
    expect(reader.current()?.[0]?.roaming).toBe(true);
    await mm.setRoaming(false);
    await waitFor(() => reader!.current()?.[0]?.roaming === false, 5000, 'home');
    await mm.setSignal(12);
    await waitFor(() => reader!.current()?.[0]?.signalPercent === 12, 5000, 'signal 12');
  });

  it('follows modems being plugged in and out (InterfacesAdded/Removed)', async () => {
    mm = await ModemManagerMock.start(pb);
    reader = await startModemManagerReader({ bus, log: captureLog().log });
    expect(reader.current()).toEqual([]);
    const path = await mm.addModem({ netPort: 'wwan1', accessTech: '5g' });
    await waitFor(() => reader!.current()?.length === 1, 5000, 'modem added');
    expect(reader.current()?.[0]).toMatchObject({ path, netPorts: ['wwan1'], generation: '5g' });
    await mm.removeModem(path);
    await waitFor(() => reader!.current()?.length === 0, 5000, 'modem removed');
  });

  it('is unavailable while ModemManager is stopped and re-reads its modems when it returns', async () => {
    const cap = captureLog();
    mm = await ModemManagerMock.start(pb, [{ accessTech: '3g' }]);
    reader = await startModemManagerReader({ bus, log: cap.log });
    expect(reader.current()?.[0]?.generation).toBe('3g');
    await mm.stop();
    await waitFor(() => reader!.current() === null, 5000, 'unavailable');
    expect(cap.matching('unavailable')).toBe(1);
    await mm.start();
    await mm.addModem({ accessTech: '4g', roaming: true });
    await waitFor(() => reader!.current()?.[0]?.generation === '4g', 10_000, 'modem after restart');
    expect(reader.current()?.[0]?.roaming).toBe(true);
  });
});
