// On a real gateway (FERRY_HW_GATEWAY=1): the live conditions as ferry reads them — through its readers,
// or from a running ferryd when FERRY_SOCKET names its socket — agree with what the system's own tools say:
// nmcli (primary connection, interface, metered), mmcli (access technology, roaming) and
// /sys/class/power_supply (mains or battery, charge). Read-only: it changes nothing on the box.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCall } from '../test/support/agent.js';
import { makeTempDir } from '../test/support/tmp.js';
import { defaultConfig } from '../src/config/load.js';
import { openSystemBus } from '../src/conditions/open-bus.js';
import { createLiveConditions } from '../src/conditions/live.js';
import { startModemManagerReader, modemForInterface } from '../src/conditions/modem-manager.js';
import type { Conditions, Generation } from '../src/conditions/snapshot.js';
import { createUsageStore } from '../src/queue/usage-store.js';

const onGateway = process.env.FERRY_HW_GATEWAY === '1';
const socket = process.env.FERRY_SOCKET ?? null;
if (!onGateway) {
  console.warn('hw-tests/conditions-live skipped: FERRY_HW_GATEWAY=1 is not set (it compares with a real NetworkManager, ModemManager and power supply)');
}
const has = (cmd: string) => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
const hasNmcli = onGateway && has('nmcli');
const hasMmcli = onGateway && has('mmcli');
if (onGateway && !hasNmcli) console.warn('hw-tests/conditions-live: nmcli is not installed, the network comparison is skipped');
if (onGateway && !hasMmcli) console.warn('hw-tests/conditions-live: mmcli is not installed, the modem comparison is skipped');

// ---- what the system tools say ----

const NM_TYPES: Record<string, Conditions['network']['kind']> = {
  ethernet: 'ethernet', '802-3-ethernet': 'ethernet', pppoe: 'ethernet',
  wifi: 'wifi', '802-11-wireless': 'wifi',
  gsm: 'cellular', cdma: 'cellular', bluetooth: 'cellular',
};

/** `nmcli -t` escapes ':' in values as '\:'. */
const fields = (line: string) => line.split(/(?<!\\):/).map((f) => f.replace(/\\:/g, ':'));

function nmcliPrimary(): { kind: Conditions['network']['kind']; interface: string | null; metered: boolean } {
  const active = run('nmcli', ['-t', '-f', 'UUID,TYPE,DEVICE', 'connection', 'show', '--active']).trim().split('\n').filter(Boolean).map(fields);
  // NetworkManager's primary connection holds the best default route, IPv4 before IPv6.
  const routes = active.map(([uuid]) => run('nmcli', ['-t', '-f', 'GENERAL.DEFAULT,GENERAL.DEFAULT6', 'connection', 'show', '--active', 'uuid', uuid!]));
  const at = [routes.findIndex((g) => /^GENERAL\.DEFAULT:yes$/m.test(g)), routes.findIndex((g) => /^GENERAL\.DEFAULT6:yes$/m.test(g))].find((i) => i >= 0);
  if (at !== undefined) {
    const [, type, device] = active[at]!;
    const dev = Object.fromEntries(
      run('nmcli', ['-t', '-f', 'GENERAL.IP-IFACE,GENERAL.METERED', 'device', 'show', device!]).trim().split('\n').map((l) => {
        const i = l.indexOf(':');
        return [l.slice(0, i), l.slice(i + 1)];
      }),
    );
    const kind = NM_TYPES[type!] ?? 'ethernet';
    const m = String(dev['GENERAL.METERED'] ?? 'unknown');
    // ferry's rule: yes and guess-yes are metered; unknown counts as metered on cellular only.
    const metered = m.startsWith('yes') ? true : m.startsWith('no') ? false : kind === 'cellular';
    return { kind, interface: dev['GENERAL.IP-IFACE'] || device || null, metered };
  }
  return { kind: 'none', interface: null, metered: false };
}

const TECH: Record<string, Generation> = {
  gsm: '2g', 'gsm-compact': '2g', gprs: '2g', edge: '2g', 'lte-nb-iot': '2g',
  umts: '3g', hsdpa: '3g', hsupa: '3g', hspa: '3g', 'hspa-plus': '3g', '1xrtt': '3g', evdo0: '3g', evdoa: '3g', evdob: '3g',
  lte: '4g', 'lte-cat-m': '4g', '5gnr': '5g',
};
const RANK: Generation[] = ['2g', '3g', '4g', '5g'];

function mmcliModem(): { generation: Generation | null; roaming: boolean } | null {
  const out = spawnSync('mmcli', ['-m', 'any', '--output-keyvalue'], { encoding: 'utf8', timeout: 10_000 });
  if (out.status !== 0) return null; // no modem
  // `key   : value` lines; keys never hold a colon, values may.
  const kv = out.stdout.split('\n').map((l) => {
    const i = l.indexOf(':');
    return i < 0 ? [l.trim()] : [l.slice(0, i).trim(), l.slice(i + 1).trim()];
  });
  const techs = kv.filter(([k]) => k?.startsWith('modem.generic.access-technologies') && !k.endsWith('.length')).flatMap(([, v]) => (v ?? '').split(/,\s*/));
  const gens = techs.map((t) => TECH[t]).filter((g): g is Generation => g !== undefined);
  const generation = gens.length ? gens.reduce((a, b) => (RANK.indexOf(b) > RANK.indexOf(a) ? b : a)) : null;
  const reg = kv.find(([k]) => k === 'modem.3gpp.registration-state')?.[1] ?? '';
  return { generation, roaming: reg.startsWith('roaming') };
}

function sysfsPower(): { source: 'external' | 'battery'; batteryPercent: number | null } {
  const dir = '/sys/class/power_supply';
  const read = (n: string, a: string) => {
    try {
      return readFileSync(join(dir, n, a), 'utf8').trim();
    } catch {
      return null;
    }
  };
  let external = false;
  let listed = false;
  let battery: { capacity: number | null; status: string | null } | null = null;
  for (const n of readdirSync(dir)) {
    const type = read(n, 'type');
    if (type && ['Mains', 'USB', 'Wireless', 'UPS'].includes(type)) {
      listed = true;
      if (read(n, 'online') === '1') external = true;
    } else if (type === 'Battery' && !battery && read(n, 'scope') !== 'Device' && read(n, 'present') !== '0') {
      const cap = read(n, 'capacity');
      battery = { capacity: cap === null ? null : Number(cap), status: read(n, 'status') };
    }
  }
  if (!battery) return { source: 'external', batteryPercent: null };
  const fed = battery.status === 'Charging' || battery.status === 'Full';
  return { source: external || (!listed && fed) ? 'external' : 'battery', batteryPercent: battery.capacity };
}

// ---- what ferry says ----

describe.skipIf(!onGateway)('live conditions on a real gateway agree with nmcli, mmcli and sysfs', () => {
  const tmp = makeTempDir('ferry-hw-');
  let read: () => Promise<Conditions>;
  let modemFromReader: () => Promise<{ generation: Generation | null; roaming: boolean } | null>;
  const closers: Array<() => Promise<void> | void> = [];

  beforeAll(async () => {
    if (socket) {
      console.log(`reading conditions from the running ferryd at ${socket}`);
      read = async () => (await apiCall<Conditions>(socket, 'GET', '/v1/conditions')).body;
      // Through the API the modem shows only while cellular is the primary link.
      modemFromReader = async () => {
        const c = await read();
        return c.network.kind === 'cellular' ? { generation: c.network.generation, roaming: c.network.roaming } : null;
      };
      return;
    }
    console.log('reading conditions through ferry\'s readers on the system bus and /sys');
    const log = pino({ level: 'warn' });
    const bus = await openSystemBus(log);
    const db = new Database(':memory:');
    const config = { ...defaultConfig().conditions, source: 'live' as const };
    const live = await createLiveConditions({ bus, sysfsRoot: '/sys', transfersRoot: tmp.path, config, usage: createUsageStore(db), log });
    const mm = bus ? await startModemManagerReader({ bus, log }) : null;
    closers.push(async () => {
      await mm?.close();
      await live.close();
      bus?.disconnect();
      db.close();
    });
    read = async () => live.current();
    modemFromReader = async () => {
      const m = mm?.current() ? modemForInterface(mm.current()!, null) : null;
      return m ? { generation: m.generation, roaming: m.roaming } : null;
    };
  }, 30_000);
  afterAll(async () => {
    for (const c of closers) await c();
    tmp.cleanup();
  });

  it.skipIf(!hasNmcli)('sees the primary connection nmcli shows: kind, interface and metered', async () => {
    const c = await read();
    console.log('ferry:', JSON.stringify(c.network), 'sources:', JSON.stringify(c.sources));
    expect(c.sources.network).toBe('networkmanager');
    const nm = nmcliPrimary();
    console.log('nmcli:', JSON.stringify(nm));
    expect({ kind: c.network.kind, interface: c.network.interface, metered: c.network.metered }).toEqual(nm);
  });

  it.skipIf(!hasMmcli)('sees the access technology and roaming state mmcli shows', async (ctx) => {
    const mm = mmcliModem();
    if (!mm) {
      console.warn('no modem known to ModemManager: nothing to compare');
      return ctx.skip();
    }
    const ours = await modemFromReader();
    if (!ours) {
      console.warn('through the API the modem is visible only while cellular is primary: nothing to compare');
      return ctx.skip();
    }
    console.log('ferry:', JSON.stringify(ours), 'mmcli:', JSON.stringify(mm));
    expect(ours).toEqual(mm);
  });

  it('sees the power supply /sys/class/power_supply shows', async () => {
    const c = await read();
    const sys = sysfsPower();
    console.log('ferry:', JSON.stringify(c.power), `(from ${c.sources.power})`, 'sysfs:', JSON.stringify(sys));
    expect(c.power.source).toBe(sys.source);
    if (sys.batteryPercent === null) expect(c.power.batteryPercent).toBeNull();
    // UPower, when it is the source, rounds its own average: allow one point.
    else expect(Math.abs((c.power.batteryPercent ?? -10) - sys.batteryPercent)).toBeLessThanOrEqual(1);
  });
});
