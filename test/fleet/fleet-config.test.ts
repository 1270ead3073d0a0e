import { execFile } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { fleetIdentity, fleetProblems } from '../../src/fleet/fleet-config.js';
import { AGENT_START_MS } from '../support/fleet-agent.js';
import { AgentProcess, FERRYCTL, FERRYD } from '../support/agent.js';
import { makeTempDir } from '../support/tmp.js';

const run = promisify(execFile);
const dir = makeTempDir('ferry-fleet-config-');
afterAll(() => dir.cleanup());

function mqtt(extra: Record<string, unknown>) {
  const r = validateConfig({ fleet: { mqtt: { url: 'mqtt://127.0.0.1:1883', ...extra } } });
  return r;
}

describe('fleet.mqtt config', () => {
  it('is off when absent and fills defaults when present', () => {
    expect(validateConfig({}).config!.fleet.mqtt).toBeUndefined();
    const c = mqtt({}).config!.fleet.mqtt!;
    expect(c.topicPrefix).toBe('ferry/v1');
    expect(c.groups).toEqual([]);
    expect(fleetIdentity(c, () => 'gw-host').gatewayId).toBe('gw-host');
  });

  it('rejects other schemes, wildcards in ids and a trailing slash in the prefix', () => {
    const r = mqtt({ url: 'http://x', gatewayId: 'a/+', groups: ['ok', 'b#'], topicPrefix: 'ferry/' });
    const paths = r.issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['fleet.mqtt.url', 'fleet.mqtt.gatewayId', 'fleet.mqtt.groups[1]', 'fleet.mqtt.topicPrefix']));
  });

  it('names unreadable files and a hostname that is no valid id', () => {
    const c = mqtt({ caFile: join(dir.path, 'missing.pem'), username: 'u', passwordFile: join(dir.path, 'pw') }).config!.fleet.mqtt!;
    const problems = fleetProblems(c, () => 'bad host name');
    expect(problems.map(([p]) => p)).toEqual(['fleet.mqtt.gatewayId', 'fleet.mqtt.passwordFile', 'fleet.mqtt.caFile']);
    expect(problems[2]![1]).toMatch(/ENOENT/);
  });

  it('without fleet.mqtt the agent reports the bridge disabled in health, GET /v1/fleet and ferryctl', async () => {
    const agent = new AgentProcess();
    await agent.start({}, AGENT_START_MS);
    try {
      expect((await agent.api('GET', '/v1/health')).body.fleet).toEqual({ state: 'disabled', since: null, lastError: null });
      expect((await agent.api('GET', '/v1/fleet')).body).toMatchObject({ state: 'disabled', jobs: [] });
      const r = await run(process.execPath, [FERRYCTL, '--socket', agent.socket, 'fleet']);
      expect(r.stdout).toBe('fleet: disabled (no fleet.mqtt in the config)\n');
    } finally {
      await agent.stop();
    }
  });

  it('ferryd --check-config runs the fleet checks', async () => {
    const pw = join(dir.path, 'secret');
    writeFileSync(pw, 'x\n');
    chmodSync(pw, 0o600);
    const good = join(dir.path, 'good.json');
    writeFileSync(good, JSON.stringify({ fleet: { mqtt: { url: 'mqtts://broker:8883', gatewayId: 'gw-1', username: 'gw-1', passwordFile: pw } } }));
    expect((await run(process.execPath, [FERRYD, '--check-config', good])).stdout).toMatch(/valid/);
    const bad = join(dir.path, 'bad.json');
    writeFileSync(bad, JSON.stringify({ fleet: { mqtt: { url: 'mqtts://broker:8883', gatewayId: 'gw-1', keyFile: join(dir.path, 'nokey') } } }));
    const r = await run(process.execPath, [FERRYD, '--check-config', bad]).then(() => ({ code: 0, stderr: '' }), (e: { code: number; stderr: string }) => e);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/fleet\.mqtt\.keyFile: cannot read/);
    expect(r.stderr).toMatch(/certFile and keyFile go together/);
  });
});
