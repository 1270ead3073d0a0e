// The BLE path: ferry's adapter and an SMP peripheral (a Zephyr board on a physical rig; on the
// virtual rig btvirt's second controller on the same virtual radio). Link first, then ferry.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { getOk, routeMissing } from './support/ferry-api.js';
import { firstReason, needSocket, rigEnv, skipWith } from './support/rig-env.js';
import { sh } from './support/system.js';

const env = rigEnv();
const adapter = env.bleAdapter ?? 'hci0';
const linkReason = firstReason(
  env.bleAddr ? null : 'FERRY_HW_BLE_ADDR not set (address of the SMP peripheral)',
  existsSync(`/sys/class/bluetooth/${adapter}`) ? null : `no Bluetooth adapter ${adapter}`,
);
const featureReason = linkReason ?? needSocket(env) ?? (await routeMissing(env.socket, '/v1/devices', 'device sync'));

describe.skipIf(skipWith(linkReason, 'BLE link checks'))(`Bluetooth adapter ${adapter} and peripheral ${env.bleAddr}`, () => {
  it('has the adapter registered with bluetoothd', async () => {
    const list = await sh('bluetoothctl', ['list'], 15_000);
    expect(list).toMatch(/^Controller /m);
  });

  it.runIf(env.virtual)('has the peripheral controller on the same virtual radio', async () => {
    const list = await sh('bluetoothctl', ['list'], 15_000);
    expect(list.toUpperCase()).toContain(env.bleAddr!.toUpperCase());
  });
});

describe.skipIf(skipWith(featureReason, 'ferry BLE sync'))('ferry with the BLE SMP peripheral', () => {
  it('finds the peripheral and lists it', async () => {
    const body = await getOk(env.socket, '/v1/devices');
    expect(JSON.stringify(body).toUpperCase()).toContain(env.bleAddr!.toUpperCase());
  });
});
