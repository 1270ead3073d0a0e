import { startPrivateBus, UPowerMock } from '/work/main/test/support/dbus.js';
import { getAll, callMethod } from '/work/main/src/conditions/dbus-call.js';
const pb = await startPrivateBus();
const keep = setInterval(() => {}, 1000);
try {
  const up = await UPowerMock.start(pb);
  console.log('started');
  const bus = await pb.connect();
  console.log(await getAll(bus, 'org.freedesktop.UPower', '/org/freedesktop/UPower', 'org.freedesktop.UPower'));
  console.log(await callMethod(bus, { destination: 'org.freedesktop.UPower', path: '/org/freedesktop/UPower', interface: 'org.freedesktop.UPower', member: 'GetDisplayDevice' }));
  console.log(await getAll(bus, 'org.freedesktop.UPower', '/org/freedesktop/UPower/devices/DisplayDevice', 'org.freedesktop.UPower.Device'));
} catch (e) { console.log('ERR', e); } finally {
  await pb.stop(); clearInterval(keep);
}
