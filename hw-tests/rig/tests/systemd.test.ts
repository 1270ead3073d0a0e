// ferry under real systemd: Type=notify readiness, the watchdog catching a hung main loop, a clean
// stop, and the unit's sandbox score. Needs root and ferry installed as FERRY_HW_SYSTEMD_UNIT.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitFor } from '../../../test/support/wait.js';
import { api, healthy } from './support/ferry-api.js';
import { firstReason, hwDescribe, needRoot, needSocket, rigEnv } from './support/rig-env.js';
import { journalSince, journalStamp, sh, spanMs, unitProps } from './support/system.js';

const env = rigEnv();
const unit = env.unit ?? 'ferry.service';
const reason = firstReason(env.unit ? null : 'FERRY_HW_SYSTEMD_UNIT not set (ferry not installed as a unit here)', needRoot(), needSocket(env));

hwDescribe(`ferry as the systemd unit ${unit}`, reason, () => {
  beforeAll(async () => {
    await sh('systemctl', ['start', unit]);
    await waitFor(() => healthy(env.socket), 30_000, 'ferry healthy');
  });
  afterAll(async () => {
    await sh('systemctl', ['start', unit]).catch(() => {});
  });

  it('is a notify service that systemd sees as ready only once the API answers', async () => {
    const p = await unitProps(unit, ['Type', 'NotifyAccess', 'WatchdogUSec', 'ActiveState']);
    expect(p).toMatchObject({ Type: 'notify', NotifyAccess: 'main', ActiveState: 'active' });
    // `systemctl restart` of a notify unit returns when READY=1 arrives: the API must answer right then.
    await sh('systemctl', ['restart', unit], 90_000);
    const r = await api(env.socket, 'GET', '/v1/health');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'ok' });
  });

  it('reports its queue in the unit status line', async () => {
    const p = await waitFor(async () => {
      const q = await unitProps(unit, ['StatusText']);
      return q.StatusText ? q : null;
    }, 20_000, 'a STATUS= line');
    expect(p.StatusText).toMatch(/transfers/);
  });

  it('is killed by the watchdog and restarted when its main loop hangs', async (ctx) => {
    const before = await unitProps(unit, ['MainPID', 'NRestarts', 'Environment', 'WatchdogUSec']);
    if (!before.Environment?.includes('hang-on-signal.mjs')) {
      console.log('[hw-tests] skipping the hang test: the unit does not preload hang-on-signal.mjs (rig drop-in not installed)');
      ctx.skip();
    }
    const watchdogS = spanMs(before.WatchdogUSec ?? '0') / 1000;
    expect(watchdogS).toBeGreaterThan(0);
    const since = journalStamp();
    await sh('systemctl', ['kill', '--kill-whom=main', '-s', 'SIGUSR2', unit]);
    const after = await waitFor(async () => {
      const p = await unitProps(unit, ['MainPID', 'NRestarts', 'ActiveState']);
      return p.ActiveState === 'active' && p.MainPID !== before.MainPID && p.MainPID !== '0' && (await healthy(env.socket)) ? p : null;
    }, (watchdogS * 3 + 60) * 1000, 'a restarted, healthy ferry', 500);
    expect(Number(after.NRestarts)).toBeGreaterThan(Number(before.NRestarts));
    const log = await journalSince(unit, since);
    expect(log).toMatch(/[Ww]atchdog timeout/);
  });

  it('stops cleanly within 10 s on systemctl stop', async () => {
    const t0 = Date.now();
    await sh('systemctl', ['stop', unit], 30_000);
    const took = Date.now() - t0;
    const p = await unitProps(unit, ['ActiveState', 'Result', 'ExecMainStatus', 'ExecMainCode']);
    console.log(`[hw-tests] systemctl stop took ${took} ms`);
    expect(p).toMatchObject({ ActiveState: 'inactive', Result: 'success' });
    expect(took).toBeLessThan(10_000);
    await sh('systemctl', ['start', unit], 90_000);
  });

  it('has a systemd-analyze security exposure in the OK range', async () => {
    const out = await sh('systemd-analyze', ['security', '--no-pager', unit]).catch((e: { stdout?: string }) => e.stdout ?? '');
    if (env.out) writeFileSync(join(env.out, 'security.txt'), `${out}\n`);
    const m = /Overall exposure level for \S+: ([\d.]+) (\w+)/.exec(out);
    expect(m, out.split('\n').slice(-3).join('\n')).not.toBeNull();
    console.log(`[hw-tests] systemd-analyze security ${unit}: ${m![1]} ${m![2]}`);
    expect(Number(m![1])).toBeLessThan(4);
  });
});
