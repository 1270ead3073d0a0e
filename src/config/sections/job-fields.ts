// Schema pieces a transfer request and the config's upload items share (API.md "Transfer request").
import { Type, type TLiteral, type TUnion } from '@sinclair/typebox';
import { PREFERENCES } from '../../model/preferences.js';

export const oneOf = <const T extends string>(v: readonly T[], opts: { default?: T; description?: string } = {}): TUnion<TLiteral<T>[]> =>
  Type.Union(v.map((x) => Type.Literal(x)), opts);

export const PreferencesSchema = (opts: { default?: (typeof PREFERENCES)[number]; description?: string } = {}) => oneOf(PREFERENCES, opts);

export const ConstraintsSchema = Type.Object(
  {
    unmetered: Type.Optional(Type.Boolean()),
    charging: Type.Optional(Type.Boolean()),
    batteryNotLow: Type.Optional(Type.Boolean()),
    storageNotLow: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
