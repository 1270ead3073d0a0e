import { startPrivateBus, UPowerMock, mockLog } from '../support/dbus.js';
import { startUPowerReader } from '../../src/conditions/upower.js';
import { createLogger } from '../../src/log.js';
import { spawnSync } from 'node:child_process';
const pb = await startPrivateBus();
const keep = setInterval(() => {}, 1000);
try {
  const up = await UPowerMock.start(pb);
  console.log(spawnSync('pgrep', ['-af', 'dbusmock']).stdout.toString());
  const bus = await pb.connect();
  const u = await startUPowerReader({ bus, log: createLogger('debug') });
  console.log('up', u.current());
  console.log(spawnSync('pgrep', ['-af', 'dbusmock']).stdout.toString());
  console.log(mockLog(pb, 'org.freedesktop.UPower'));
  await u.close();
} catch (e) { console.log('ERR', e); } finally {
  await pb.stop(); clearInterval(keep);
}
