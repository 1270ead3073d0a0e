// userInitiated is a per-client right (issue 9): it passes the 2G, roaming and execution-window rules, so
// only clients the config gives it (and root, the agent's own user, admins) may set it.
import { chmodSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess } from '../support/agent.js';
import { apiAs } from '../support/as-uid.js';

const PLAIN = 60_011;
const TRUSTED = 60_012;
const ADMIN = 60_013;
const UNLISTED = 60_014;

describe('the userInitiated right', () => {
  const agent = new AgentProcess();
  beforeAll(async () => {
    chmodSync(agent.dir.path, 0o755);
    agent.writeConfig({
      socket: { path: agent.socket, mode: '0666' },
      clients: {
        list: [
          { name: 'plain', uids: [PLAIN] },
          { name: 'trusted', uids: [TRUSTED], rights: ['userInitiated'] },
          { name: 'ops', uids: [ADMIN], admin: true },
        ],
      },
    });
    await agent.start();
  }, 30_000);
  afterAll(() => agent.stop());

  const req = (n: string, userInitiated: boolean) => ({ url: `http://127.0.0.1:1/${n}`, path: `${n}.bin`, userInitiated, retry: { initialDelayS: 3600 } });

  it.each([
    ['a listed client without the right', PLAIN],
    ['an unlisted client (clients.unlistedRights is empty by default)', UNLISTED],
  ])('refuses %s with 403 FORBIDDEN naming userInitiated', async (_who, uid) => {
    const r = await apiAs(uid, agent.socket, 'POST', '/v1/transfers', req(`no${uid}`, true));
    expect(r.status).toBe(403);
    expect(r.body.error).toMatchObject({ code: 'FORBIDDEN', field: 'userInitiated' });
    // The same request without the flag is fine.
    expect((await apiAs(uid, agent.socket, 'POST', '/v1/transfers', req(`ok${uid}`, false))).status).toBe(201);
  });

  it.each([
    ['a client given the right', TRUSTED],
    ['an admin', ADMIN],
  ])('accepts userInitiated from %s', async (_who, uid) => {
    const r = await apiAs(uid, agent.socket, 'POST', '/v1/transfers', req(`ui${uid}`, true));
    expect(r.status).toBe(201);
    expect(r.body.userInitiated).toBe(true);
  });

  it('accepts userInitiated from root', async () => {
    const r = await agent.api('POST', '/v1/transfers', req('root-ui', true));
    expect(r.status).toBe(201);
  });

  it('refuses an unknown right in the config', async () => {
    const { validateConfig } = await import('../../src/config/load.js');
    const r = validateConfig({ clients: { list: [{ name: 'x', uids: [1], rights: ['everything'] }] } });
    expect(r.issues.map((i) => i.path)).toContain('clients.list[0].rights[0]');
  });
});
