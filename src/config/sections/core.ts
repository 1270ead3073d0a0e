// Core config: where state, transfers and the socket live, who the clients are, logging.
import { Type } from '@sinclair/typebox';
import { bytesField, MAX_UID } from './ranges.js';

export const SocketSection = Type.Object(
  {
    path: Type.String({ minLength: 1, default: './var/ferry.sock', description: 'Unix socket of the control API.' }),
    mode: Type.String({ pattern: '^0?[0-7]{3}$', default: '0660', description: 'Octal file mode of the socket.' }),
    group: Type.Union([Type.String({ minLength: 1 }), Type.Null()], {
      default: null,
      description: 'Group that owns the socket (null: the daemon user\'s group).',
    }),
    maxBodyBytes: Type.Integer({ minimum: 1024, maximum: 16 * 1024 * 1024, default: 1024 * 1024, description: 'Largest request body accepted.' }),
    maxStreams: Type.Integer({ minimum: 1, maximum: 4096, default: 64, description: 'Event streams (GET /v1/events) open at once across all clients; more answer 429.' }),
    maxStreamsPerClient: Type.Integer({ minimum: 1, maximum: 4096, default: 8, description: 'Event streams one client may hold open; more answer 429.' }),
    maxStreamBufferBytes: Type.Integer({
      minimum: 64 * 1024,
      maximum: 64 * 1024 * 1024,
      default: 1024 * 1024,
      description: 'A client whose unread event data passes this is dropped.',
    }),
    maxStreamStallS: Type.Number({
      exclusiveMinimum: 0,
      maximum: 3600,
      default: 30,
      description: 'A client that reads nothing for this long while events wait is dropped (its events meanwhile are coalesced, latest state wins).',
    }),
  },
  { additionalProperties: false, default: {} },
);

const ClientRights = Type.Array(Type.Union([Type.Literal('userInitiated')]), {
  default: [],
  uniqueItems: true,
  description: '"userInitiated": may queue user-initiated transfers, which pass the 2G, roaming and execution-window rules (POLICY.md).',
});

export const ClientEntry = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$', description: 'Client name, the owner of its transfers. root, device-sync, fleet and uid-N are reserved.' }),
    uids: Type.Array(Type.Integer({ minimum: 0, maximum: MAX_UID }), { minItems: 1, maxItems: 1024, description: 'Unix uids that are this client (read with SO_PEERCRED).' }),
    admin: Type.Boolean({ default: false, description: 'Sees and controls every transfer; has every right.' }),
    rights: ClientRights,
    dailyBytes: Type.Optional(
      Type.Object(
        Object.fromEntries(['cellular', 'wifi', 'ethernet'].map((k) => [k, Type.Optional(bytesField({}))])),
        { additionalProperties: false, description: 'Per network kind: bytes a day (local day) its background transfers may move.' },
      ),
    ),
  },
  { additionalProperties: false },
);

export const ClientsSection = Type.Object(
  {
    list: Type.Array(ClientEntry, { default: [] }),
    allowUnlisted: Type.Boolean({
      default: true,
      description: 'Peers whose uid is not listed are the client "uid-N"; false refuses them (403).',
    }),
    unlistedRights: ClientRights,
  },
  { additionalProperties: false, default: {} },
);

export const LogSection = Type.Object(
  {
    level: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
      { default: 'info' },
    ),
  },
  { additionalProperties: false, default: {} },
);
