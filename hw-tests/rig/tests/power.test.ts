// Power conditions from a real kernel power supply (test_power on the virtual rig): unplugging and
// a low battery show in GET /v1/conditions, and a running download pauses per policy and resumes.
import { existsSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/support/wait.js';
import { api, getOk } from './support/ferry-api.js';
import { firstReason, hwDescribe, needRoot, needSocket, rigEnv } from './support/rig-env.js';
import { setTestPower } from './support/system.js';
import { startThrottledOrigin, type ThrottledOrigin } from './support/throttled-origin.js';

const env = rigEnv();
const reason = firstReason(
  env.powerModule === 'test_power' ? null : 'FERRY_HW_POWER is not test_power (no controllable power supply on this rig)',
  existsSync('/sys/module/test_power/parameters') ? null : 'test_power is not loaded',
  needRoot(),
  needSocket(env),
);

function plugIn(): void {
  setTestPower('ac_online', 'on');
  setTestPower('battery_status', 'charging');
  setTestPower('battery_capacity', '80');
}
function unplugLow(percent: number): void {
  setTestPower('ac_online', 'off');
  setTestPower('usb_online', 'off');
  setTestPower('battery_status', 'discharging');
  setTestPower('battery_capacity', String(percent));
}
const power = async () => (await getOk(env.socket, '/v1/conditions')).power;

hwDescribe('power conditions from /sys/class/power_supply', reason, () => {
  beforeAll(() => plugIn());
  afterAll(() => plugIn());

  it('reads the power supply from sysfs', async () => {
    const c = await getOk(env.socket, '/v1/conditions');
    expect(c.sources.power).toBe('sysfs');
  });

  it('shows battery power at 15 % once AC is unplugged, and external power once plugged back', async () => {
    unplugLow(15);
    const p = await waitFor(async () => {
      const v = await power();
      return v.source === 'battery' && v.batteryPercent === 15 ? v : null;
    }, 20_000, 'battery at 15 % in conditions', 200);
    expect(p.charging).toBe(false);
    plugIn();
    const q = await waitFor(async () => {
      const v = await power();
      return v.source === 'external' ? v : null;
    }, 20_000, 'external power in conditions', 200);
    expect(q.batteryPercent).toBe(80);
  });

  describe('a running download with batteryNotLow', () => {
    let origin: ThrottledOrigin;
    const ids: string[] = [];
    beforeAll(async () => {
      origin = await startThrottledOrigin(2 * 1024 * 1024, 64 * 1024);
    });
    afterEach(async () => {
      plugIn();
      for (const id of ids.splice(0)) await api(env.socket, 'DELETE', `/v1/transfers/${id}`).catch(() => {});
    });
    afterAll(async () => origin?.close());

    it('pauses when the battery drops to 15 % off AC and resumes to completion when plugged back', async () => {
      const r = await api(env.socket, 'POST', '/v1/transfers', {
        url: origin.url,
        path: `rig/power-${Date.now()}.bin`,
        preferences: 'allowBattery',
        constraints: { batteryNotLow: true },
        userInitiated: true,
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      const id = r.body.id as string;
      ids.push(id);
      const get = async () => (await getOk(env.socket, `/v1/transfers/${id}`));
      await waitFor(async () => {
        const t = await get();
        return t.state === 'running' && t.bytesTransferred > 0;
      }, 30_000, 'the download running', 100);
      unplugLow(15);
      const held = await waitFor(async () => {
        const t = await get();
        return t.state === 'waiting' ? t : null;
      }, 20_000, 'the download held by policy', 100);
      expect(held.reasons.map((x: { code: string }) => x.code).join(' ')).toMatch(/battery|power/);
      expect(held.bytesTransferred).toBeLessThan(2 * 1024 * 1024);
      plugIn();
      const done = await waitFor(async () => {
        const t = await get();
        if (t.state === 'failed') throw new Error(`failed: ${JSON.stringify(t.error)}`);
        return t.state === 'completed' ? t : null;
      }, 90_000, 'the download completed', 250);
      expect(done.bytesTransferred).toBe(2 * 1024 * 1024);
    });
  });
});
