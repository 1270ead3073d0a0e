// Core config: where state, transfers and the socket live, who the clients are, logging.
import { Type } from '@sinclair/typebox';

export const SocketSection = Type.Object(
  {
    path: Type.String({ minLength: 1, default: './var/ferry.sock', description: 'Unix socket of the control API.' }),
    mode: Type.String({ pattern: '^0?[0-7]{3}$', default: '0660', description: 'Octal file mode of the socket.' }),
    group: Type.Union([Type.String({ minLength: 1 }), Type.Null()], {
      default: null,
      description: 'Group that owns the socket (null: the daemon user\'s group).',
    }),
    maxBodyBytes: Type.Integer({ minimum: 1024, maximum: 16 * 1024 * 1024, default: 1024 * 1024, description: 'Largest request body accepted.' }),
  },
  { additionalProperties: false, default: {} },
);

export const ClientEntry = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$', description: 'Client name, the owner of its transfers.' }),
    uids: Type.Array(Type.Integer({ minimum: 0 }), { minItems: 1, description: 'Unix uids that are this client (read with SO_PEERCRED).' }),
    admin: Type.Boolean({ default: false, description: 'Sees and controls every transfer.' }),
    dailyBytes: Type.Optional(
      Type.Object(
        Object.fromEntries(['cellular', 'wifi', 'ethernet'].map((k) => [k, Type.Optional(Type.Integer({ minimum: 0 }))])),
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
