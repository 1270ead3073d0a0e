// The real ferryd (built dist/, via AgentProcess) for ferryctl's tests, in a fixed world: a metered 4G
// link on battery (static conditions), and an HTTP origin serving test files.
import { AgentProcess } from '../support/agent.js';
import { startOrigin, type Origin } from '../support/origin.js';
import type { ApiTransfer } from '../../src/cli/client.js';

export const CELLULAR_ON_BATTERY = {
  network: { kind: 'cellular', interface: 'wwan0', generation: '4g', metered: true, roaming: false },
  power: { source: 'battery', batteryPercent: 62, charging: false },
};

export interface CliAgent {
  agent: AgentProcess;
  origin: Origin;
  /** `--socket PATH` for runCli. */
  sock: string[];
  /** POST /v1/transfers; throws unless 201. */
  add(body: Record<string, unknown>): Promise<ApiTransfer>;
  /** Waits until the transfer satisfies `pred`. */
  until(id: string, pred: (t: ApiTransfer) => boolean, what: string): Promise<ApiTransfer>;
  close(): Promise<void>;
}

export async function startCliAgent(): Promise<CliAgent> {
  const origin = await startOrigin();
  // A window the add tests can name (always open: the tests are not about time).
  const agent = new AgentProcess({
    conditions: { static: CELLULAR_ON_BATTERY },
    policy: { windows: { night: [{ days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], start: '00:00', end: '00:00' }] } },
    log: { level: 'warn' },
  });
  try {
    await agent.start();
  } catch (e) {
    await origin.close();
    throw e;
  }
  return {
    agent,
    origin,
    sock: ['--socket', agent.socket],
    async add(body) {
      const r = await agent.api<ApiTransfer>('POST', '/v1/transfers', body);
      if (r.status !== 201) throw new Error(`POST /v1/transfers answered ${r.status}: ${JSON.stringify(r.body)}`);
      return r.body;
    },
    until: (id, pred, what) => agent.waitTransfer(id, pred, 20_000, what),
    async close() {
      await agent.stop();
      await origin.close();
    },
  };
}
