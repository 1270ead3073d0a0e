import { startPrivateBus, UPowerMock } from '../support/dbus.js';
import { startUPowerReader } from '../../src/conditions/upower.js';
import { createLogger } from '../../src/log.js';
const pb = await startPrivateBus();
const keep = setInterval(() => {}, 1000);
try {
  const up = await UPowerMock.start(pb);
  const bus = await pb.connect();
  const u = await startUPowerReader({ bus, log: createLogger('debug') });
  console.log('up', u.current());
  await u.close();
} catch (e) { console.log('ERR', e); } finally {
  await pb.stop(); clearInterval(keep);
}
