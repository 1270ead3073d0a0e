// The stage for the live-conditions scenarios: a private D-Bus with NetworkManager (and optionally
// ModemManager, UPower) mocks, a sysfs fixture tree, and the real built ferryd reading both
// (`conditions.source: "live"`). Tests flip the world through the mocks and the fixture, and assert on
// what the control API says. stop() tears everything down in reverse order.
import { existsSync } from 'node:fs';
import {
  dbusUnavailableReason,
  ModemManagerMock,
  NetworkManagerMock,
  startPrivateBus,
  UPowerMock,
  type LinkKind,
  type MeteredValue,
  type ModemSpec,
  type PrivateBus,
} from '../support/dbus.js';
import { createSysfsFixture, type SysfsFixture } from '../support/sysfs.js';
import { AgentProcess, FERRYD } from '../support/agent.js';
import { waitFor } from '../support/wait.js';

export interface SceneOptions {
  network: { primary: LinkKind | null; metered?: MeteredValue };
  /** Modems for a ModemManager mock; absent: no ModemManager on the bus. */
  modems?: ModemSpec[];
  /** A UPower mock; absent: no UPower on the bus. */
  upower?: { onBattery: boolean; battery?: { percent: number; state: 'charging' | 'discharging' | 'full' } };
  /** Fills the sysfs fixture before the agent starts. */
  sysfs?: (fx: SysfsFixture) => void;
  /** Merged into the `conditions` config section (source, sysfsRoot and a fast poll are set here). */
  conditions?: Record<string, unknown>;
  /** Merged into the `policy` config section. */
  policy?: Record<string, unknown>;
}

export interface Scene {
  readonly bus: PrivateBus;
  readonly nm: NetworkManagerMock;
  readonly mm: ModemManagerMock | null;
  readonly up: UPowerMock | null;
  readonly fx: SysfsFixture;
  readonly agent: AgentProcess;
  conditions(): Promise<any>;
  /** Waits until GET /v1/conditions satisfies `pred`; returns that snapshot. */
  waitConditions(pred: (c: any) => boolean, what: string, timeoutMs?: number): Promise<any>;
  /** POST /v1/transfers; throws unless 201. */
  add(body: Record<string, unknown>): Promise<any>;
  stop(): Promise<void>;
}

/** Why the scenarios cannot run on this machine, or null. */
export function sceneUnavailableReason(): string | null {
  const dbus = dbusUnavailableReason();
  if (dbus) return dbus;
  return existsSync(FERRYD) ? null : `${FERRYD} is missing: run "npm run build" first`;
}

export const codes = (t: { reasons: Array<{ code: string }> }): string[] => t.reasons.map((r) => r.code);

export async function startScene(opts: SceneOptions): Promise<Scene> {
  const bus = await startPrivateBus();
  const fx = createSysfsFixture();
  let agent: AgentProcess | null = null;
  const cleanup = async () => {
    await agent?.stop();
    await bus.stop();
    fx.cleanup();
  };
  try {
    const nm = await NetworkManagerMock.start(bus, { primary: opts.network.primary, metered: opts.network.metered });
    const mm = opts.modems ? await ModemManagerMock.start(bus, opts.modems) : null;
    let up: UPowerMock | null = null;
    if (opts.upower) {
      up = await UPowerMock.start(bus, { onBattery: opts.upower.onBattery });
      if (opts.upower.battery) await up.setBattery(opts.upower.battery.percent, opts.upower.battery.state);
    }
    opts.sysfs?.(fx);
    agent = new AgentProcess({
      conditions: { source: 'live', sysfsRoot: fx.root, pollIntervalS: 0.1, ...opts.conditions },
      policy: { ...opts.policy },
    });
    await agent.start({ DBUS_SYSTEM_BUS_ADDRESS: bus.address });
    const a = agent;
    const conditions = async () => (await a.api('GET', '/v1/conditions')).body;
    return {
      bus,
      nm,
      mm,
      up,
      fx,
      agent: a,
      conditions,
      async waitConditions(pred, what, timeoutMs = 10_000) {
        return waitFor(async () => {
          const c = await conditions();
          return pred(c) ? c : null;
        }, timeoutMs, `conditions: ${what}`, 25);
      },
      async add(body) {
        const r = await a.api('POST', '/v1/transfers', body);
        if (r.status !== 201) throw new Error(`enqueue answered ${r.status}: ${JSON.stringify(r.body)}`);
        return r.body;
      },
      stop: cleanup,
    };
  } catch (e) {
    if (agent) console.error(agent.logs.slice(-4000));
    await cleanup();
    throw e;
  }
}
