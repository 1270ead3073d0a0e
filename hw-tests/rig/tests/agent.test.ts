// The agent as installed on the rig: it answers on its socket with the conditions the other hw
// tests build on. On the virtual rig ferry must be there, so a dead agent fails here first.
import { expect, it } from 'vitest';
import { api } from './support/ferry-api.js';
import { hwDescribe, needSocket, rigEnv } from './support/rig-env.js';

const env = rigEnv();
const reason = env.virtual || process.env.FERRY_SOCKET ? needSocket(env) : 'neither FERRY_RIG=1 nor FERRY_SOCKET set (no installed agent to check)';

hwDescribe(`ferry at ${env.socket}`, reason, () => {
  it('answers GET /v1/health with status ok and its version', async () => {
    const r = await api(env.socket, 'GET', '/v1/health');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'ok', version: expect.any(String) });
  });

  it('serves a conditions snapshot naming the source of each part', async () => {
    const r = await api(env.socket, 'GET', '/v1/conditions');
    expect(r.status).toBe(200);
    expect(Object.keys(r.body.sources)).toEqual(expect.arrayContaining(['network', 'power', 'storage']));
  });
});
