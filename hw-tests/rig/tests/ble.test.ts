// The BLE path: ferry's adapter and an SMP peripheral (a Zephyr board on a physical rig; on the
// virtual rig btvirt's second controller on the same virtual radio). Link first, then ferry.
import { existsSync } from 'node:fs';
import { expect, it } from 'vitest';
import { routeMissing } from './support/ferry-api.js';
import { devicePresent, ferryctlEcho } from './support/ferry-devices.js';
import { firstReason, hwDescribe, needSocket, rigEnv } from './support/rig-env.js';
import { sh } from './support/system.js';

const env = rigEnv();
const adapter = env.bleAdapter ?? 'hci0';
const linkReason = firstReason(
  env.bleAddr ? null : 'FERRY_HW_BLE_ADDR not set (address of the SMP peripheral)',
  existsSync(`/sys/class/bluetooth/${adapter}`) ? null : `no Bluetooth adapter ${adapter}`,
);
const featureReason =
  linkReason ??
  needSocket(env) ??
  (env.bleDevice
    ? null
    : env.virtual
      ? 'the virtual rig has no SMP GATT peripheral on its second controller yet (FERRY_HW_BLE_DEVICE unset)'
      : 'FERRY_HW_BLE_DEVICE not set (id of the BLE device in ferry\'s config)') ??
  (await routeMissing(env.socket, '/v1/devices', 'device sync'));

hwDescribe(`Bluetooth adapter ${adapter} and peripheral ${env.bleAddr ?? '(unset)'}`, linkReason, () => {
  it('has the adapter registered with bluetoothd', async () => {
    const list = await sh('bluetoothctl', ['list'], 15_000);
    expect(list).toMatch(/^Controller /m);
  });

  it.runIf(env.virtual)('has the peripheral controller on the same virtual radio', async () => {
    const list = await sh('bluetoothctl', ['list'], 15_000);
    expect(list.toUpperCase()).toContain(env.bleAddr!.toUpperCase());
  });
});

hwDescribe(`ferry with the BLE SMP peripheral "${env.bleDevice ?? '(unset)'}"`, featureReason, () => {
  it('finds the peripheral and lists it as present', async () => {
    const d = await devicePresent(env.socket, env.bleDevice!, 60_000);
    expect(d.transport).toMatch(/ble/);
  });

  it('answers an SMP echo through ferry\'s client over GATT (ferryctl smp --device)', async () => {
    expect(await ferryctlEcho(env.socket, env.bleDevice!, 'rig-ferry-ble')).toContain('rig-ferry-ble');
  });
});
