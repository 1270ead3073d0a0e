// ferry's Debian package through its life on a gateway: installed by apt from the .deb (checked
// here, done by the rig before every other test), upgraded to a newer build while a download runs
// and another waits paused (both keep their ids and the download completes), removed (service gone,
// queue and user kept) and purged (state and config gone, user kept). It removes ferry, so it runs
// last and alone: the virtual rig runs it after the other files; on a physical rig run it on its own.
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FERRYD_NODE_FLAGS } from '../../../src/cli/node-flags.js';
import { waitFor } from '../../../test/support/wait.js';
import { api, getOk, healthy } from './support/ferry-api.js';
import { firstReason, hwDescribe, needRoot, rigEnv } from './support/rig-env.js';
import { sh, unitProps } from './support/system.js';
import { startThrottledOrigin, type ThrottledOrigin } from './support/throttled-origin.js';

const env = rigEnv();
const upgradeDeb = process.env.FERRY_HW_PACKAGE_UPGRADE ?? '';
const installReport = process.env.FERRY_RIG_PACKAGE_INSTALL ?? '';
const reason = firstReason(
  upgradeDeb ? null : 'FERRY_HW_PACKAGE_UPGRADE (a newer ferry .deb to upgrade to) is not set',
  upgradeDeb && !existsSync(upgradeDeb) ? `${upgradeDeb} does not exist` : null,
  needRoot(),
);
const UNIT = 'ferry.service';
// apt-get under the virtual rig's TCG on a busy host has taken 7 minutes for one install.
const APT_MS = 900_000;
// ferry's API under the same load: slower than the support client's default 10 s at times.
const API_MS = 60_000;

const version = () => sh('dpkg-query', ['-W', '-f', '${Version}', 'ferry']);
const status = () => sh('dpkg-query', ['-W', '-f', '${db:Status-Abbrev}', 'ferry']).catch(() => 'not known');
const apt = (args: string[]) =>
  sh('env', ['DEBIAN_FRONTEND=noninteractive', 'apt-get', '-y', '-q', '-o', 'Dpkg::Options::=--force-confold', ...args], APT_MS);
const groupsOf = async (user: string) => (await sh('id', ['-nG', user])).split(' ');

hwDescribe('the ferry Debian package: install, upgrade, remove, purge', reason, () => {
  let origin: ThrottledOrigin;
  beforeAll(async () => {
    origin = await startThrottledOrigin(1024 * 1024, 64 * 1024);
  });
  afterAll(async () => origin?.close());

  it('is installed by apt-get from the .deb, enabled and running as user ferry with its device groups', async () => {
    if (installReport) {
      // Written by the rig's install step: `rc=0 seconds=… version=…`.
      const report = readFileSync(installReport, 'utf8');
      expect(report).toMatch(/^rc=0 /);
    }
    expect(await status()).toMatch(/^ii/);
    const props = await unitProps(UNIT, ['UnitFileState', 'ActiveState', 'FragmentPath', 'User']);
    expect(props).toMatchObject({ UnitFileState: 'enabled', ActiveState: 'active', FragmentPath: '/usr/lib/systemd/system/ferry.service', User: 'ferry' });
    expect(await groupsOf('ferry')).toEqual(expect.arrayContaining(['ferry', 'dialout', 'plugdev', 'bluetooth']));
    const files = (await sh('dpkg', ['-L', 'ferry'])).split('\n');
    for (const f of ['/usr/bin/ferryd', '/usr/bin/ferryctl', '/usr/lib/sysusers.d/ferry.conf', '/usr/lib/tmpfiles.d/ferry.conf',
      '/usr/share/man/man8/ferryd.8.gz', '/usr/share/man/man1/ferryctl.1.gz', '/usr/share/bash-completion/completions/ferryctl',
      '/usr/share/doc/ferry/copyright', '/usr/share/doc/ferry/changelog.Debian.gz', '/etc/ferry/ferry.json']) {
      expect(files).toContain(f);
    }
    expect(await sh('dpkg-query', ['-W', '-f', '${Conffiles}', 'ferry'])).toContain('/etc/ferry/ferry.json');
    // The node ferry runs on is Debian's own package, not a copy.
    expect(await sh('dpkg', ['-S', '/usr/bin/node'])).toMatch(/^nodejs:/m);
    expect(await sh('ferryctl', ['--json', 'health'])).toContain('"ok"');
    // The launcher starts node with ferryd's own flags (single-threaded GC, small young generation).
    const pid = (await sh('systemctl', ['show', '-p', 'MainPID', '--value', 'ferry'])).trim();
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toEqual(expect.arrayContaining([...FERRYD_NODE_FLAGS]));
  }, 300_000);

  it('upgrades to a newer build with a running and a paused transfer: same ids, the download completes', async () => {
    const before = await version();
    const pidBefore = (await unitProps(UNIT, ['MainPID'])).MainPID;
    const add = async (name: string) => {
      const r = await api(env.socket, 'POST', '/v1/transfers', { url: origin.url, path: `rig/upgrade-${name}-${Date.now()}.bin`, userInitiated: true }, API_MS);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body.id as string;
    };
    const running = await add('running');
    const paused = await add('paused');
    expect((await api(env.socket, 'POST', `/v1/transfers/${paused}/pause`, undefined, API_MS)).status).toBeLessThan(300);
    await waitFor(async () => {
      const t = await getOk(env.socket, `/v1/transfers/${running}`);
      return t.state === 'running' && t.bytesTransferred > 0;
    }, 30_000, 'the download running', 100);

    await apt(['install', upgradeDeb]);
    const after = await version();
    expect(after).not.toBe(before);
    expect(await sh('dpkg', ['--compare-versions', after, 'gt', before]).then(() => true)).toBe(true);
    const props = await unitProps(UNIT, ['ActiveState', 'MainPID']);
    expect(props.ActiveState).toBe('active');
    expect(props.MainPID).not.toBe(pidBefore);
    await waitFor(() => healthy(env.socket), 20_000, 'ferry healthy after the upgrade', 200);
    // The rig's config (a modified conffile) survived the upgrade.
    expect(readFileSync('/etc/ferry/ferry.json', 'utf8')).toContain('rig-serial');

    expect((await api(env.socket, 'GET', `/v1/transfers/${paused}`, undefined, API_MS)).body.state).toBe('paused');
    const done = await waitFor(async () => {
      const t = await getOk(env.socket, `/v1/transfers/${running}`);
      if (t.state === 'failed') throw new Error(`failed: ${JSON.stringify(t.error)}`);
      return t.state === 'completed' ? t : null;
    }, 90_000, 'the download completed after the upgrade', 250);
    expect(done.bytesTransferred).toBe(1024 * 1024);
  }, APT_MS + 180_000);

  it('apt-get remove stops the service and drops the unit, keeping the queue, the config and the user', async () => {
    await apt(['remove', 'ferry']);
    expect(await status()).toMatch(/^rc/);
    const props = await unitProps(UNIT, ['ActiveState', 'LoadState']);
    expect(props.ActiveState).toBe('inactive');
    expect(['not-found', 'masked']).toContain(props.LoadState);
    expect(existsSync('/usr/lib/systemd/system/ferry.service')).toBe(false);
    expect(existsSync('/usr/bin/ferryd')).toBe(false);
    expect(existsSync('/var/lib/ferry')).toBe(true);
    expect(existsSync('/etc/ferry/ferry.json')).toBe(true);
    expect(await groupsOf('ferry')).toContain('ferry');
  }, APT_MS);

  it('apt-get purge deletes /var/lib/ferry and /etc/ferry; the user stays', async () => {
    await apt(['purge', 'ferry']);
    expect(await status()).not.toMatch(/^(ii|rc)/);
    expect(existsSync('/var/lib/ferry')).toBe(false);
    expect(existsSync('/etc/ferry')).toBe(false);
    expect(await groupsOf('ferry')).toContain('ferry');
  }, APT_MS);
});
