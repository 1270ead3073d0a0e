import { startPrivateBus, NetworkManagerMock, ModemManagerMock, UPowerMock } from '../support/dbus.js';
import { startNetworkManagerReader } from '../../src/conditions/network-manager.js';
import { startModemManagerReader } from '../../src/conditions/modem-manager.js';
import { startUPowerReader } from '../../src/conditions/upower.js';
import { createLogger } from '../../src/log.js';
const log = createLogger('debug');
const pb = await startPrivateBus();
try {
  const nm = await NetworkManagerMock.start(pb, { primary: 'wifi' });
  const mm = await ModemManagerMock.start(pb, [{ accessTech: '3g' }]);
  const up = await UPowerMock.start(pb);
  const bus = await pb.connect();
  const r = await startNetworkManagerReader({ bus, log });
  console.log('nm', r.current());
  r.onChange((v) => console.log('nm change', v));
  const m = await startModemManagerReader({ bus, log });
  console.log('mm', m.current());
  m.onChange((v) => console.log('mm change', JSON.stringify(v)));
  const u = await startUPowerReader({ bus, log });
  console.log('up', u.current());
  u.onChange((v) => console.log('up change', v));
  await nm.setPrimary('cellular');
  await mm.setRoaming(true);
  await mm.addModem({ netPort: 'wwan1' });
  await mm.removeModem(mm.modems[1]);
  await up.setOnBattery(true);
  await up.setBattery(55, 'discharging');
  await new Promise((r) => setTimeout(r, 500));
  await nm.stop();
  await new Promise((r) => setTimeout(r, 300));
  await nm.start();
  await new Promise((r) => setTimeout(r, 500));
  await r.close(); await m.close(); await u.close();
} finally {
  await pb.stop();
}
