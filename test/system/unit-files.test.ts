// The shipped systemd files pass systemd's own checks: `systemd-analyze verify` is clean, the
// exposure score stays at or under 2.0 (also with the BLE drop-in), and sysusers/tmpfiles produce
// the user, groups and directories the unit expects.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { missingCommand, missingRoot, prerequisite } from '../support/prerequisites.js';

const SYSTEMD_DIR = fileURLToPath(new URL('../../systemd/', import.meta.url));
const UNIT = join(SYSTEMD_DIR, 'ferry.service');
const MAX_EXPOSURE = 2.0;

const haveAnalyze = prerequisite('unit checks', missingCommand('systemd-analyze')) === null;
const haveSysusers =
  prerequisite(
    'sysusers/tmpfiles check',
    missingCommand('systemd-sysusers') ?? missingCommand('systemd-tmpfiles') ?? missingRoot('tmpfiles chowns'),
  ) === null;

const scratch: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ferry-unit-'));
  scratch.push(d);
  return d;
}
afterAll(() => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

/** "→ Overall exposure level for ferry.service: 1.8 OK 🙂" → 1.8 */
function exposure(output: string): number {
  const m = /Overall exposure level for \S+: (\d+(?:\.\d+)?)/.exec(output);
  if (!m?.[1]) throw new Error(`no exposure line in:\n${output}`);
  return Number(m[1]);
}

function analyze(args: string[]): { status: number | null; out: string } {
  const r = spawnSync('systemd-analyze', args, { encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe.skipIf(!haveAnalyze)('systemd/ferry.service', () => {
  it('passes systemd-analyze verify without a warning', () => {
    // verify insists that ExecStart's binary exists; /usr/bin/ferryd only exists once packaged,
    // so the copy under test points ExecStart at a stub and changes nothing else.
    const dir = tempDir();
    const stub = join(dir, 'ferryd');
    writeFileSync(stub, '#!/bin/sh\nexit 0\n');
    chmodSync(stub, 0o755);
    const unit = readFileSync(UNIT, 'utf8');
    expect(unit).toContain('ExecStart=/usr/bin/ferryd ');
    writeFileSync(join(dir, 'ferry.service'), unit.replace('ExecStart=/usr/bin/ferryd ', `ExecStart=${stub} `));
    const r = analyze(['verify', join(dir, 'ferry.service')]);
    expect(r.out.trim()).toBe('');
    expect(r.status).toBe(0);
  });

  it('passes verify with the BLE drop-in applied', () => {
    const dir = tempDir();
    const stub = join(dir, 'ferryd');
    writeFileSync(stub, '#!/bin/sh\nexit 0\n');
    chmodSync(stub, 0o755);
    writeFileSync(join(dir, 'ferry.service'), readFileSync(UNIT, 'utf8').replace('ExecStart=/usr/bin/ferryd ', `ExecStart=${stub} `));
    mkdirSync(join(dir, 'ferry.service.d'));
    copyFileSync(join(SYSTEMD_DIR, 'ferry-ble.conf'), join(dir, 'ferry.service.d', 'ble.conf'));
    const r = analyze(['verify', join(dir, 'ferry.service')]);
    expect(r.out.trim()).toBe('');
    expect(r.status).toBe(0);
  });

  it(`has an exposure score of at most ${MAX_EXPOSURE}`, () => {
    const r = analyze(['security', '--offline=true', UNIT]);
    const score = exposure(r.out);
    console.log(`systemd-analyze security ferry.service: ${score}`);
    expect(score).toBeLessThanOrEqual(MAX_EXPOSURE);
  });

  it(`stays at or under ${MAX_EXPOSURE} with the BLE capabilities drop-in`, () => {
    const root = tempDir();
    const unitDir = join(root, 'etc', 'systemd', 'system');
    mkdirSync(join(unitDir, 'ferry.service.d'), { recursive: true });
    copyFileSync(UNIT, join(unitDir, 'ferry.service'));
    copyFileSync(join(SYSTEMD_DIR, 'ferry-ble.conf'), join(unitDir, 'ferry.service.d', 'ble.conf'));
    const r = analyze(['security', '--offline=true', `--root=${root}`, 'ferry.service']);
    expect(r.out).toMatch(/CapabilityBoundingSet=~CAP_NET_ADMIN\s+Service has network configuration privileges/);
    const score = exposure(r.out);
    console.log(`systemd-analyze security ferry.service + ferry-ble.conf: ${score}`);
    expect(score).toBeLessThanOrEqual(MAX_EXPOSURE);
  });

  it('keeps MemoryDenyWriteExecute off (V8 JIT) and runs as the unprivileged ferry user', () => {
    const unit = readFileSync(UNIT, 'utf8');
    expect(unit).not.toMatch(/^MemoryDenyWriteExecute=/m);
    expect(unit).toMatch(/^User=ferry$/m);
    expect(unit).toMatch(/^Type=notify$/m);
    expect(unit).toMatch(/^WatchdogSec=30$/m);
  });

  it('grants BLE only CAP_NET_ADMIN on an HCI user channel, and no chown in the main unit', () => {
    const ble = readFileSync(join(SYSTEMD_DIR, 'ferry-ble.conf'), 'utf8');
    expect(ble).toMatch(/^Environment=HCI_CHANNEL_USER=1$/m);
    expect(ble).toMatch(/^CapabilityBoundingSet=CAP_NET_ADMIN$/m);
    expect(ble).not.toMatch(/^[A-Za-z]+=.*CAP_NET_RAW/m);
    const unit = readFileSync(UNIT, 'utf8');
    expect(unit).not.toMatch(/^SystemCallFilter=@chown/m);
    expect(unit).not.toMatch(/^SupplementaryGroups=/m);
  });

  // The rig's power-cut boots found it: ferry started before any CDC-ACM device was plugged got EPERM
  // opening the port once it came, because systemd resolves char-ttyACM through /proc/devices at start.
  it('loads the driver of every module-provided serial group it allows before it starts', () => {
    const unit = readFileSync(UNIT, 'utf8');
    const moduleOf: Record<string, string> = { ttyACM: 'cdc_acm', ttyUSB: 'usbserial' };
    const allowed = [...unit.matchAll(/^DeviceAllow=char-(\S+)/gm)].map((m) => m[1]!).filter((g) => g in moduleOf);
    expect(allowed.sort()).toEqual(['ttyACM', 'ttyUSB']);
    const listed = (key: string) => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].flatMap((m) => m[1]!.split(/\s+/));
    for (const g of allowed) {
      expect(listed('Wants'), `Wants= modprobe@ for char-${g}`).toContain(`modprobe@${moduleOf[g]}.service`);
      expect(listed('After'), `After= modprobe@ for char-${g}`).toContain(`modprobe@${moduleOf[g]}.service`);
    }
  });
});

describe.skipIf(!haveSysusers)('systemd/ferry.sysusers and ferry.tmpfiles', () => {
  it('create the ferry user and groups, the state and config directories with their modes', () => {
    const root = tempDir();
    mkdirSync(join(root, 'etc'));
    mkdirSync(join(root, 'usr', 'lib', 'sysusers.d'), { recursive: true });
    mkdirSync(join(root, 'usr', 'lib', 'tmpfiles.d'), { recursive: true });
    writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    writeFileSync(join(root, 'etc', 'group'), 'root:x:0:\ndialout:x:20:\n');
    copyFileSync(join(SYSTEMD_DIR, 'ferry.sysusers'), join(root, 'usr', 'lib', 'sysusers.d', 'ferry.conf'));
    copyFileSync(join(SYSTEMD_DIR, 'ferry.tmpfiles'), join(root, 'usr', 'lib', 'tmpfiles.d', 'ferry.conf'));
    execFileSync('systemd-sysusers', [`--root=${root}`], { stdio: 'pipe' });
    execFileSync('systemd-tmpfiles', [`--root=${root}`, '--create'], { stdio: 'pipe' });

    const passwd = readFileSync(join(root, 'etc', 'passwd'), 'utf8');
    const group = readFileSync(join(root, 'etc', 'group'), 'utf8');
    const user = /^ferry:x:(\d+):(\d+):[^:]*:\/var\/lib\/ferry:\/usr\/sbin\/nologin$/m.exec(passwd);
    expect(user).not.toBeNull();
    const [uid, gid] = [Number(user?.[1]), Number(user?.[2])];
    expect(group).toMatch(new RegExp(`^ferry:x:${gid}:`, 'm'));
    expect(group).toMatch(/^dialout:x:20:ferry$/m); // the serial ports' group, not SupplementaryGroups=
    expect(group).toMatch(/^plugdev:x:\d+:ferry$/m);
    expect(group).toMatch(/^bluetooth:x:\d+:ferry$/m);

    const mode = (p: string) => statSync(join(root, p));
    expect(mode('var/lib/ferry')).toMatchObject({ uid, gid });
    expect(mode('var/lib/ferry').mode & 0o7777).toBe(0o750);
    expect(mode('var/lib/ferry/transfers').mode & 0o7777).toBe(0o2770);
    expect(mode('var/lib/ferry/transfers')).toMatchObject({ uid, gid });
    expect(mode('etc/ferry').mode & 0o7777).toBe(0o750);
    expect(mode('etc/ferry')).toMatchObject({ uid: 0, gid });
  });
});
