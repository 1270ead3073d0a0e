// The serial path: an SMP device on a USB CDC-ACM port (Zephyr's smp_svr on a physical rig, the
// rig's gadget + simulator on the virtual one). First the link itself, then ferry syncing with it.
import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { basename } from 'node:path';
import { expect, it } from 'vitest';
import { routeMissing } from './support/ferry-api.js';
import { devicePresent, ferryctlEcho } from './support/ferry-devices.js';
import { firstReason, hwDescribe, needRoot, needSocket, rigEnv } from './support/rig-env.js';
import { serialEcho } from './support/smp-probe.js';

const env = rigEnv();
const port = env.serial ?? '';
const linkReason = firstReason(env.serial ? null : 'FERRY_HW_SERIAL not set (path of the SMP device\'s serial port)', existsSync(port) ? null : `${port} does not exist`, needRoot());
const featureReason =
  linkReason ??
  needSocket(env) ??
  (env.serialDevice ? null : 'FERRY_HW_SERIAL_DEVICE not set (id of the serial device in ferry\'s config)') ??
  (await routeMissing(env.socket, '/v1/devices', 'device sync'));

/** VID:PID of a tty's USB parent, read from sysfs the way ferry's fingerprinting does. */
function usbIdOf(tty: string): string | null {
  let dir = realpathSync(`/sys/class/tty/${basename(realpathSync(tty))}/device`);
  for (let i = 0; i < 6 && dir !== '/'; i++, dir = realpathSync(`${dir}/..`)) {
    if (existsSync(`${dir}/idVendor`)) return `${readFileSync(`${dir}/idVendor`, 'utf8').trim()}:${readFileSync(`${dir}/idProduct`, 'utf8').trim()}`;
  }
  return null;
}

hwDescribe(`the SMP serial device at ${port || '(unset)'}`, linkReason, () => {
  it('is a USB CDC-ACM port with the expected fingerprint', () => {
    expect(readdirSync('/dev/serial/by-id').some((n) => realpathSync(`/dev/serial/by-id/${n}`) === realpathSync(port))).toBe(true);
    if (env.serialUsb) expect(usbIdOf(port)).toBe(env.serialUsb.toLowerCase());
  });

  it('answers an SMP echo in serial framing', async () => {
    expect(await serialEcho(port, 'rig-serial-echo')).toBe('rig-serial-echo');
  });
});

hwDescribe(`ferry with the serial SMP device "${env.serialDevice ?? '(unset)'}"`, featureReason, () => {
  it('finds the port by its USB fingerprint and lists the device as present', async () => {
    const d = await devicePresent(env.socket, env.serialDevice!);
    expect(d.transport).toMatch(/serial/);
  });

  it('answers an SMP echo through ferry\'s client (ferryctl smp --device)', async () => {
    expect(await ferryctlEcho(env.socket, env.serialDevice!, 'rig-ferry-serial')).toContain('rig-ferry-serial');
  });
});
