// The one source of the config: TypeBox builds both the JSON Schema (config/ferry.schema.json,
// written by `npm run schema`) and the validator, so they cannot drift.
import { Type, type Static } from '@sinclair/typebox';
import { ClientsSection, LogSection, SocketSection } from './sections/core.js';
import { TransfersSection } from './sections/transfers.js';
import { PolicySection } from './sections/policy.js';
import { ConditionsSection } from './sections/conditions.js';
import { DevicesSection } from './sections/devices.js';
import { FleetSection } from './sections/fleet.js';

export const ConfigSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    stateDir: Type.String({ minLength: 1, default: './var/state', description: 'SQLite database and other state.' }),
    transfersRoot: Type.String({ minLength: 1, default: './var/transfers', description: 'Every transfer path resolves inside this folder.' }),
    socket: SocketSection,
    clients: ClientsSection,
    log: LogSection,
    transfers: TransfersSection,
    policy: PolicySection,
    conditions: ConditionsSection,
    devices: DevicesSection,
    fleet: FleetSection,
  },
  {
    additionalProperties: false,
    $id: 'https://ferry.invalid/ferry.schema.json',
    title: 'ferry agent configuration',
  },
);

export type Config = Static<typeof ConfigSchema>;
