// Network conditions from the real NetworkManager: the metered flag of the active connection shows
// in GET /v1/conditions, holds unmetered-only transfers, and survives a NetworkManager restart.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitFor } from '../../../test/support/wait.js';
import { api, getOk, healthy } from './support/ferry-api.js';
import { firstReason, hwDescribe, needRoot, needSocket, rigEnv } from './support/rig-env.js';
import { sh, unitProps } from './support/system.js';
import { startThrottledOrigin, type ThrottledOrigin } from './support/throttled-origin.js';

const env = rigEnv();
const conn = env.nmConnection ?? '';
const reason = firstReason(env.nmConnection ? null : 'FERRY_HW_NM_CONNECTION not set (the NM connection the test may mark metered)', needRoot(), needSocket(env));

async function setMetered(value: 'yes' | 'no' | 'unknown'): Promise<void> {
  await sh('nmcli', ['connection', 'modify', conn, 'connection.metered', value]);
}
const network = async () => (await getOk(env.socket, '/v1/conditions')).network;
const meteredIs = (want: boolean) =>
  waitFor(async () => {
    const n = await network();
    return n.metered === want ? n : null;
  }, 15_000, `metered=${want} in conditions`, 100);

hwDescribe(`NetworkManager connection "${conn || '(unset)'}"`, reason, () => {
  let origin: ThrottledOrigin;
  beforeAll(async () => {
    await setMetered('no');
    origin = await startThrottledOrigin(256 * 1024, 256 * 1024);
  });
  afterAll(async () => {
    await setMetered('unknown').catch(() => {});
    await origin?.close();
  });

  it('shows the active connection from NetworkManager as an unmetered wired link', async () => {
    const c = await getOk(env.socket, '/v1/conditions');
    expect(c.sources.network).toBe('networkmanager');
    const n = await meteredIs(false);
    expect(n.kind).toBe('ethernet');
  });

  it('shows metered once the connection is marked metered', async () => {
    const t0 = Date.now();
    await setMetered('yes');
    await meteredIs(true);
    console.log(`[hw-tests] metered=yes reached ferry's conditions ${Date.now() - t0} ms after nmcli`);
  });

  it('holds an unmetered-only transfer on the metered link and runs it once unmetered', async () => {
    await setMetered('yes');
    await meteredIs(true);
    const r = await api(env.socket, 'POST', '/v1/transfers', { url: origin.url, path: `rig/net-${Date.now()}.bin`, constraints: { unmetered: true } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const id = r.body.id as string;
    try {
      const held = await waitFor(async () => {
        const t = await getOk(env.socket, `/v1/transfers/${id}`);
        return t.state === 'waiting' ? t : null;
      }, 15_000, 'the transfer waiting', 100);
      expect(held.reasons.map((x: { code: string }) => x.code)).toContain('metered');
      await setMetered('no');
      await waitFor(async () => (await getOk(env.socket, `/v1/transfers/${id}`)).state === 'completed', 60_000, 'the transfer completed', 200);
    } finally {
      await api(env.socket, 'DELETE', `/v1/transfers/${id}`).catch(() => {});
    }
  });

  it('keeps running across a NetworkManager restart and follows changes made after it', async () => {
    await setMetered('no');
    await meteredIs(false);
    const before = env.unit ? await unitProps(env.unit, ['MainPID']) : null;
    await sh('systemctl', ['restart', 'NetworkManager.service'], 60_000);
    await sh('nm-online', ['-q', '-t', '30'], 40_000).catch(() => {});
    await setMetered('yes');
    await meteredIs(true);
    expect(await healthy(env.socket)).toBe(true);
    if (env.unit && before) expect((await unitProps(env.unit, ['MainPID'])).MainPID).toBe(before.MainPID);
  });
});
