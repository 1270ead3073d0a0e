// The serial path: an SMP device on a USB CDC-ACM port (Zephyr's smp_svr on a physical rig, the
// rig's gadget + simulator on the virtual one). First the link itself, then ferry syncing with it:
// a pull, a firmware image upload, and an unplug (gadget unbound from its UDC) in the middle of a pull.
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { waitFor } from '../../../test/support/wait.js';
import { getOk, healthy, routeMissing } from './support/ferry-api.js';
import { devicePresent, ferryctlEcho, type ListedDevice } from './support/ferry-devices.js';
import { isFinished, randomData, RigGadgetDevice, sha256, syncDevice, waitTransfer } from './support/rig-gadget-device.js';
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
// The sync tests change the device's files and unplug it: only the virtual rig's simulator allows that.
const syncReason = featureReason ?? RigGadgetDevice.missing('FERRY_RIG_SERIAL_SIM', 'FERRY_RIG_SERIAL_UDC');
const transfersRoot = process.env.FERRY_HW_TRANSFERS_ROOT ?? '/var/lib/ferry/transfers';

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

hwDescribe(`ferry syncing with the serial SMP device "${env.serialDevice ?? '(unset)'}"`, syncReason, () => {
  const dev = syncReason === null ? RigGadgetDevice.fromEnv('FERRY_RIG_SERIAL_SIM', 'FERRY_RIG_SERIAL_UDC') : (null as unknown as RigGadgetDevice);
  const id = env.serialDevice ?? '(unset)';
  // Names as in guest/ferry.rig.json's rig-serial entry.
  const remote = '/lfs/rig-data.bin';
  const pulled = join(transfersRoot, 'devices', id, 'rig-data.bin');
  const deviceState = async () => (await getOk<{ devices: ListedDevice[] }>(env.socket, '/v1/devices')).devices.find((d) => d.id === id);

  afterAll(() => {
    // Whatever happened, leave the device plugged in and fast for the files after this one.
    dev.setDelayMs(0);
    if (!dev.bound()) dev.replug();
  });

  it('pulls a file into devices/<id>/ verified with the device\'s sha256, and pushes an image through test, reset and confirm', async () => {
    const data = randomData(40_000);
    const image = randomData(24_000);
    dev.setDelayMs(0);
    dev.putFile(remote, data);
    mkdirSync(join(transfersRoot, 'fw'), { recursive: true });
    writeFileSync(join(transfersRoot, 'fw/rig-serial-app.bin'), image);
    await devicePresent(env.socket, id);

    const queued = await syncDevice(env.socket, id);
    const pull = queued.find((t) => t.direction === 'download');
    const push = queued.find((t) => t.direction === 'upload');
    expect(pull, 'the sync queues the pull').toBeDefined();
    expect(push, 'the sync queues the image push').toBeDefined();

    const pulledT = await waitTransfer(env.socket, pull!.id, isFinished, 90_000, 'the pull finished');
    expect(pulledT.error).toBeNull();
    expect(pulledT.state).toBe('completed');
    expect(sha256(readFileSync(pulled))).toBe(sha256(data));
    expect(pulledT.device?.result).toMatchObject({ changed: true, verifiedWith: `sha256:${sha256(data)}` });

    const pushedT = await waitTransfer(env.socket, push!.id, isFinished, 120_000, 'the image push finished');
    expect(pushedT.error).toBeNull();
    expect(pushedT.device?.result).toMatchObject({ stage: 'confirmed', imageHash: sha256(image) });
    // The device's own view: it rebooted into the new image, which runs and is confirmed.
    const state = dev.images();
    expect(state.resets).toBeGreaterThanOrEqual(1);
    expect(state.slots.find((s) => s.active)).toMatchObject({ sha256: sha256(image), confirmed: true, version: '1.1.0' });
    expect(state.slots.find((s) => !s.active)?.version).toBe('1.0.0');
  }, 240_000);

  it('waits with device-disconnected when the gadget is unbound mid-pull, then resumes and finishes with a matching hash when it is bound again', async () => {
    const data = randomData(64_000);
    dev.putFile(remote, data);
    dev.clearRequestLog();
    // 256 B per answer, 40 ms each: about 10 s for the file, so the unplug lands mid-way.
    dev.setDelayMs(40);
    const queued = await syncDevice(env.socket, id);
    const pull = queued.find((t) => t.direction === 'download');
    expect(pull, 'the sync queues the pull').toBeDefined();
    await waitTransfer(env.socket, pull!.id, (t) => t.state === 'running' && t.bytesTransferred >= 12_000, 60_000, 'the pull under way');

    dev.unplug();
    const waiting = await waitTransfer(env.socket, pull!.id, (t) => t.state === 'waiting' && t.reasons.some((r) => r.code === 'device-disconnected'), 30_000, 'waiting with device-disconnected');
    expect(waiting.bytesTransferred).toBeLessThan(data.length);
    await waitFor(async () => (await deviceState())?.state === 'absent', 15_000, `${id} listed absent`, 250);
    expect(existsSync(port)).toBe(false);
    expect(await healthy(env.socket)).toBe(true);
    const readsBefore = dev.fsReadOffsets(remote).length;

    dev.setDelayMs(0);
    dev.replug();
    await devicePresent(env.socket, id);
    const done = await waitTransfer(env.socket, pull!.id, isFinished, 90_000, 'the pull finished after the replug');
    expect(done.error).toBeNull();
    expect(done.state).toBe('completed');
    expect(sha256(readFileSync(pulled))).toBe(sha256(data));
    // It went on from what it had, not from zero.
    const after = dev.fsReadOffsets(remote).slice(readsBefore);
    expect(after[0]).toBeGreaterThan(0);
    expect(Number(done.device?.result?.resumedFrom)).toBeGreaterThan(0);
  }, 240_000);
});
