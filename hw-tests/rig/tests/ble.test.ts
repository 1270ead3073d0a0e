// The BLE path: ferry's adapter and an SMP peripheral (a Zephyr board on a physical rig; on the
// virtual rig btvirt's second controller on the same virtual radio, served by guest/ble-smp-peripheral.ts
// with the project's SMP simulator). Link first, then ferry: a pull over GATT, a link drop mid-pull.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { waitFor } from '../../../test/support/wait.js';
import { healthy, routeMissing } from './support/ferry-api.js';
import { devicePresent, jobUntil, syncNow, type DeviceJob } from './support/ferry-devices.js';
import { firstReason, hwDescribe, needSocket, rigEnv } from './support/rig-env.js';
import { journalSince, journalStamp, sh } from './support/system.js';

const env = rigEnv();
const adapter = env.bleAdapter ?? 'hci0';
const linkReason = firstReason(
  env.bleAddr ? null : 'FERRY_HW_BLE_ADDR not set (address of the SMP peripheral)',
  existsSync(`/sys/class/bluetooth/${adapter}`) ? null : `no Bluetooth adapter ${adapter}`,
);
const featureReason =
  linkReason ??
  needSocket(env) ??
  (env.bleDevice ? null : 'FERRY_HW_BLE_DEVICE not set (id of the BLE device in ferry\'s config)') ??
  (await routeMissing(env.socket, '/v1/devices', 'device sync')) ??
  (await peripheralNotReady());

/** Virtual rig: null once the peripheral advertises (it starts while ferry installs), else why not. */
async function peripheralNotReady(): Promise<string | null> {
  if (!env.bleReady) return null;
  const ready = await waitFor(() => existsSync(env.bleReady!), 120_000, 'the BLE peripheral', 250).catch(() => false);
  if (ready) return null;
  const tail = env.bleUnit ? await sh('journalctl', ['-u', env.bleUnit, '-o', 'cat', '--no-pager', '-n', '3']).catch(() => '') : '';
  return `the rig's BLE peripheral did not come up: ${tail.replace(/\n/g, ' | ')}`;
}
// ferryctl's own noble binds the adapter ferry uses, the same way (the virtual rig's ferry uses an HCI
// user channel: see guest/rig-main.sh).
process.env.NOBLE_HCI_DEVICE_ID ??= adapter.replace(/^hci/, '');
if (env.virtual) process.env.HCI_CHANNEL_USER ??= '1';

/** The bytes guest/ble-smp-peripheral.ts serves, recomputed here on their own. */
function expectedSha256(size: number): string {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + (i >> 8) * 7 + 0x5a) & 0xff;
  return createHash('sha256').update(b).digest('hex');
}

/** A child whose output is collected as it comes (its exit code once it ends). */
function spawnCollecting(cmd: string, args: string[]) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const run = { out: '', err: '', exit: undefined as number | null | undefined, kill: () => child.exitCode === null && child.kill('SIGKILL') };
  child.stdout.on('data', (d: Buffer) => (run.out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (run.err += d.toString()));
  child.on('exit', (code) => (run.exit = code));
  return run;
}

/** Where ferry puts the pulled file (default devices/<id>/<basename>), if its config is readable here. */
function localFile(): string | null {
  try {
    const root = (JSON.parse(readFileSync('/etc/ferry/ferry.json', 'utf8')) as { transfersRoot?: string }).transfersRoot;
    const remote = env.bleFile ?? '';
    return root && remote ? join(root, 'devices', env.bleDevice!, remote.split('/').pop()!) : null;
  } catch {
    return null;
  }
}

hwDescribe(`Bluetooth adapter ${adapter} and peripheral ${env.bleAddr ?? '(unset)'}`, linkReason, () => {
  it('has the adapter with a Bluetooth address', async () => {
    const out = await sh('hciconfig', [adapter], 15_000);
    expect(/BD Address: ([0-9A-F:]{17})/.exec(out)?.[1] ?? '00:00:00:00:00:00').not.toBe('00:00:00:00:00:00');
  });

  it.runIf(env.virtual)('has the peripheral controller on the same virtual radio', async () => {
    const peripheral = process.env.FERRY_RIG_BLE_PERIPHERAL ?? 'hci1';
    expect((await sh('hciconfig', [peripheral], 15_000)).toUpperCase()).toContain(env.bleAddr!.toUpperCase());
    expect((await sh('hciconfig', [adapter], 15_000)).toUpperCase()).toContain('BUS: VIRTUAL');
  });
});

hwDescribe(`ferry with the BLE SMP peripheral "${env.bleDevice ?? '(unset)'}"`, featureReason, () => {
  const file = localFile();
  const sha = env.bleFileSize ? expectedSha256(env.bleFileSize) : null;
  const clean = () => {
    if (file) for (const f of [file, `${file}.part`]) rmSync(f, { force: true });
  };
  afterAll(async () => {
    if (env.unit && !(await healthy(env.socket))) await sh('systemctl', ['start', env.unit]).catch(() => {});
  });

  it('pulls a file over GATT at a negotiated MTU and verifies it by SHA-256', async () => {
    clean();
    const since = journalStamp();
    const [job] = await syncNow(env.socket, env.bleDevice!);
    expect(job, 'the device has a pull configured').toBeDefined();
    const done = await jobUntil(env.socket, job!.id, (j) => j.state === 'completed', 'the BLE pull completed', 120_000);
    const verified = done.device?.result?.verifiedWith ?? '';
    expect(verified).toMatch(/^sha256:/);
    if (sha) expect(verified).toBe(`sha256:${sha}`);
    if (file && sha) expect(createHash('sha256').update(readFileSync(file)).digest('hex')).toBe(sha);
    expect((await devicePresent(env.socket, env.bleDevice!, 10_000)).transport).toMatch(/^ble:/);
    if (env.unit) {
      // The driver logs the link's ATT MTU once connected: more than LE's default 23 means it was exchanged.
      const mtus = (await journalSince(env.unit, since)).split('\n').flatMap((l) => {
        const m = /"mtu":(\d+)/.exec(l);
        return m && l.includes('"msg":"connected"') ? [Number(m[1])] : [];
      });
      expect(mtus.length, 'a "connected" line from the BLE driver').toBeGreaterThan(0);
      expect(mtus.at(-1)).toBeGreaterThan(23);
      console.log(`[hw-tests] BLE pull of ${done.bytesTransferred} bytes at ATT MTU ${mtus.at(-1)}`);
    }
  }, 150_000);

  it.runIf(env.virtual && env.bleUnit !== null)(
    'waits with device-disconnected when the link drops mid-pull, then resumes and completes',
    async () => {
      clean();
      const [job] = await syncNow(env.socket, env.bleDevice!);
      const id = job!.id;
      const total = env.bleFileSize ?? 0;
      const midway = await jobUntil(env.socket, id, (j) => j.state === 'running' && j.bytesTransferred >= 4096, 'the pull under way', 90_000);
      expect(midway.bytesTransferred).toBeLessThan(total);
      // The peripheral drops the link (HCI Disconnect) and stays silent for a few seconds.
      await sh('systemctl', ['kill', '-s', 'SIGUSR1', '--kill-whom=main', env.bleUnit!]);
      const held = await jobUntil(
        env.socket, id,
        (j) => j.state === 'waiting' && j.reasons.some((r) => r.code === 'device-disconnected'),
        'the pull waiting with device-disconnected', 30_000,
      );
      expect(held.bytesTransferred).toBeLessThan(total);
      const done = await jobUntil(env.socket, id, (j: DeviceJob) => j.state === 'completed', 'the pull resumed and completed', 120_000);
      expect(done.attempts).toBeGreaterThanOrEqual(2);
      expect(done.device?.result?.resumedFrom ?? 0).toBeGreaterThan(0);
      if (sha) expect(done.device?.result?.verifiedWith).toBe(`sha256:${sha}`);
      if (file && sha) expect(createHash('sha256').update(readFileSync(file)).digest('hex')).toBe(sha);
      console.log(`[hw-tests] BLE pull resumed from ${done.device?.result?.resumedFrom} after the drop (${done.attempts} attempts)`);
    },
    240_000,
  );

  it('answers an SMP echo through ferry\'s BLE transport (ferryctl smp --connect ble:ADDR)', async () => {
    // ferryctl opens its own noble on the adapter; two noble HCI users on one adapter would both
    // drive the same link (each answers the MTU exchange), so the agent steps aside meanwhile.
    if (env.unit) await sh('systemctl', ['stop', env.unit]);
    try {
      const run = spawnCollecting('ferryctl', ['smp', '--connect', `ble:${env.bleAddr!}`, 'echo', 'rig-ferry-ble']);
      try {
        await waitFor(() => run.out.includes('rig-ferry-ble') || run.exit !== undefined, 60_000, 'the echo reply', 100);
        expect(run.out, run.err).toContain('rig-ferry-ble');
        // Known: ferryctl sets exitCode and waits for its event loop to drain, which noble's open HCI
        // socket never lets happen; say so instead of failing the transport check for it.
        const exited = await waitFor(() => run.exit !== undefined, 5_000, 'ferryctl to exit', 100).catch(() => false);
        if (exited) expect(run.exit).toBe(0);
        else console.log('[hw-tests] ferryctl printed the BLE echo reply but did not exit within 5 s (noble keeps its event loop alive)');
      } finally {
        run.kill();
      }
    } finally {
      if (env.unit) {
        await sh('systemctl', ['start', env.unit]);
        await waitFor(() => healthy(env.socket), 30_000, 'ferry healthy again', 200);
      }
    }
  }, 150_000);
});
