// The MQTT link against a real Mosquitto when the agent's side fails: an acknowledgement the state disk
// refuses to record, a job message the agent cannot apply, a topic too long for MQTT. Each used to end
// the agent (a throw inside MQTT.js's own events) or stall the link (a callback never called).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import { FleetMqtt, type FleetMqttConfig } from '../../src/config/sections/fleet.js';
import { createLogger } from '../../src/log.js';
import { MqttLink } from '../../src/fleet/mqtt-link.js';
import { fleetAcl, Mosquitto, mosquittoUnavailableReason } from '../support/mosquitto.js';
import { waitFor } from '../support/wait.js';

const skip = mosquittoUnavailableReason();
if (skip) console.warn(`skipping MQTT link fault tests: ${skip}`);
const P = 'ferry/v1';

describe.skipIf(skip !== null)('MQTT link under faults of its own side', () => {
  let broker: Mosquitto;
  const links: MqttLink[] = [];
  beforeAll(async () => {
    broker = new Mosquitto({ operator: 'op-secret', 'gw-f': 'f-secret' }, fleetAcl({ 'gw-f': [] }));
    await broker.start();
  }, 60_000);
  afterAll(async () => {
    for (const l of links) await l.stop();
    await broker?.close();
  });

  function link(onMessage: (topic: string, payload: Buffer) => Promise<void>, onConnect: (l: MqttLink) => void = () => undefined) {
    const lines: string[] = [];
    const log = createLogger('info', { write: (l: string) => lines.push(l) } as never);
    const cfg = Value.Default(FleetMqtt, {
      url: broker.url, gatewayId: 'gw-f', username: 'gw-f', passwordFile: broker.secretFile('gw-f'), keepaliveS: 10, reconnectMinS: 0.2, reconnectMaxS: 0.5,
    }) as FleetMqttConfig;
    const l: MqttLink = new MqttLink({
      cfg, clientId: `ferry-gw-f-${links.length}`, subscriptions: [`${P}/gw-f/jobs/+`], will: { topic: `${P}/gw-f/online`, payload: '{"online":false}' }, log,
      onMessage, onConnect: () => onConnect(l),
    });
    links.push(l);
    l.start();
    return { link: l, logs: () => lines.join('') };
  }

  it('an acknowledgement it cannot record, and a topic past 65 535 bytes, are logged; the link goes on', async () => {
    let acked = 0;
    const { link: l, logs } = link(async () => undefined, (me) => {
      me.publish(`${P}/gw-f/jobs/a/status`, '{}', true, () => {
        throw new Error('SQLITE_READONLY: attempt to write a readonly database');
      });
      me.publish(`${P}/gw-f/jobs/${'x'.repeat(65_600)}/status`, '{}', true);
    });
    await waitFor(() => /could not record the broker's acknowledgement/.test(logs()), 10_000, 'the refused ack logged');
    expect(logs()).toMatch(/not published: topic too long/);
    l.publish(`${P}/gw-f/jobs/b/status`, '{}', true, () => acked++);
    await waitFor(() => acked === 1, 10_000, 'a later publish acknowledged');
    expect(l.connected).toBe(true);
  });

  it('a retained job message it cannot apply is not acknowledged: the link reconnects and gets it again', async () => {
    const seen: string[] = [];
    const { logs } = link(async (topic, payload) => {
      seen.push(payload.toString());
      if (seen.length === 1) throw new Error('STORAGE_FULL: the state folder is full');
    });
    broker.pub('operator', `${P}/gw-f/jobs/j1`, '{"n":1}');
    await waitFor(() => seen.length >= 2, 15_000, 'the job message delivered again');
    expect(seen.slice(0, 2)).toEqual(['{"n":1}', '{"n":1}']);
    expect(logs()).toMatch(/job message not applied; reconnecting for its redelivery/);
    broker.pub('operator', `${P}/gw-f/jobs/j1`, null);
  });
});
