import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { dbusUnavailableReason, startPrivateBus, type PrivateBus } from '../support/dbus.js';
import { makeTempDir } from '../support/tmp.js';
import { captureLog } from './log-capture.js';
import { openSystemBus } from '../../src/conditions/open-bus.js';
import { getNameOwner } from '../../src/conditions/dbus-call.js';
import { prerequisite } from '../support/prerequisites.js';

describe('openSystemBus', () => {
  const saved = process.env.DBUS_SYSTEM_BUS_ADDRESS;
  let pb: PrivateBus | null = null;
  afterEach(async () => {
    if (saved === undefined) delete process.env.DBUS_SYSTEM_BUS_ADDRESS;
    else process.env.DBUS_SYSTEM_BUS_ADDRESS = saved;
    await pb?.stop();
    pb = null;
  });

  it('returns null with one log line when there is no bus at the address', async () => {
    const tmp = makeTempDir();
    process.env.DBUS_SYSTEM_BUS_ADDRESS = `unix:path=${join(tmp.path, 'no-bus')}`;
    const cap = captureLog();
    expect(await openSystemBus(cap.log)).toBeNull();
    expect(cap.matching('no D-Bus system bus')).toBe(1);
    tmp.cleanup();
  });

  it.skipIf(prerequisite('the DBUS_SYSTEM_BUS_ADDRESS test', dbusUnavailableReason()) !== null)('connects to the bus named by DBUS_SYSTEM_BUS_ADDRESS', async () => {
    pb = await startPrivateBus();
    process.env.DBUS_SYSTEM_BUS_ADDRESS = pb.address;
    const bus = await openSystemBus(captureLog().log);
    expect(bus).not.toBeNull();
    expect(await getNameOwner(bus!, 'org.freedesktop.DBus')).toBe('org.freedesktop.DBus');
    bus!.disconnect();
  });
});
