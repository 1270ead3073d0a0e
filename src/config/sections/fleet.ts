// Fleet control over MQTT (API.md "Fleet over MQTT"): off while `fleet.mqtt` is absent. Cross-field and
// file checks (ids, readable credentials) are in src/fleet/fleet-config.ts, run by --check-config and at start.
import { Type, type Static } from '@sinclair/typebox';

// MQTT wildcards (+ #) and the level separator are excluded by the character class itself.
export const FLEET_ID_PATTERN = '^[A-Za-z0-9._-]{1,64}$';
const FleetId = Type.String({ pattern: FLEET_ID_PATTERN });
const File = (description: string) => Type.Optional(Type.String({ minLength: 1, description }));

export const FleetMqtt = Type.Object(
  {
    url: Type.String({
      pattern: '^(mqtt|mqtts|ws|wss)://',
      description: 'Broker URL: mqtt://, mqtts:// (TLS), ws:// or wss:// (MQTT over WebSocket).',
    }),
    gatewayId: Type.Optional({ ...FleetId, description: "This gateway's id in topics (G); default: the machine's hostname." }),
    groups: Type.Array(FleetId, { default: [], description: 'Groups whose jobs this gateway takes (P/groups/GROUP/jobs/+).' }),
    topicPrefix: Type.String({
      pattern: '^[^#+]+[^/#+]$|^[^#+/]$',
      default: 'ferry/v1',
      description: 'Prefix P of every topic; no wildcards, no trailing slash.',
    }),
    protocolVersion: Type.Union([Type.Literal(5), Type.Literal(4)], { default: 5, description: '5 = MQTT 5, 4 = MQTT 3.1.1.' }),
    username: Type.Optional(Type.String({ minLength: 1, description: 'Broker user name (default: none).' })),
    passwordFile: File('File holding the broker password (trailing newline ignored).'),
    caFile: File('PEM CA bundle the broker certificate must chain to (default: the system store).'),
    certFile: File('PEM client certificate (TLS client authentication).'),
    keyFile: File('PEM private key of certFile.'),
    keepaliveS: Type.Integer({ minimum: 10, maximum: 65535, default: 300, description: 'MQTT keepalive: a PINGREQ/PINGRESP (4 bytes) after this long idle.' }),
    sessionExpiryS: Type.Integer({
      minimum: 0,
      default: 7 * 86400,
      description: 'How long the broker keeps the session (queued withdrawals) while the gateway is offline.',
    }),
    conditionsMinIntervalS: Type.Integer({ minimum: 1, default: 300, description: 'At most one conditions report per this many seconds.' }),
    reconnectMinS: Type.Number({ exclusiveMinimum: 0, default: 5, description: 'First reconnect delay; doubles per failure, with full jitter.' }),
    reconnectMaxS: Type.Number({ exclusiveMinimum: 0, default: 600, description: 'Largest reconnect delay.' }),
    connectTimeoutS: Type.Number({ exclusiveMinimum: 0, default: 30 }),
  },
  { additionalProperties: false },
);

export const FleetSection = Type.Object(
  { mqtt: Type.Optional(FleetMqtt) },
  { additionalProperties: false, default: {} },
);

export type FleetMqttConfig = Static<typeof FleetMqtt>;
