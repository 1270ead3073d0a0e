// Where conditions come from: fixed values from this file ("config") or the live readers ("live").
import { Type } from '@sinclair/typebox';

export const StaticConditions = Type.Object(
  {
    network: Type.Object(
      {
        kind: Type.Union(['none', 'ethernet', 'wifi', 'cellular'].map((k) => Type.Literal(k)), { default: 'ethernet' }),
        interface: Type.Union([Type.String(), Type.Null()], { default: null }),
        generation: Type.Union([...['2g', '3g', '4g', '5g'].map((k) => Type.Literal(k)), Type.Null()], { default: null }),
        metered: Type.Boolean({ default: false }),
        roaming: Type.Boolean({ default: false }),
      },
      { additionalProperties: false, default: {} },
    ),
    power: Type.Object(
      {
        source: Type.Union([Type.Literal('external'), Type.Literal('battery')], { default: 'external' }),
        batteryPercent: Type.Union([Type.Integer({ minimum: 0, maximum: 100 }), Type.Null()], { default: null }),
        charging: Type.Boolean({ default: false }),
      },
      { additionalProperties: false, default: {} },
    ),
    dataPlan: Type.Object(
      {
        state: Type.Union(['ok', 'approaching', 'over'].map((k) => Type.Literal(k)), { default: 'ok' }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);

export const ConditionsSection = Type.Object(
  {
    source: Type.Union([Type.Literal('config'), Type.Literal('live')], {
      default: 'config',
      description: '"config": use `static` as the world; "live": read D-Bus and sysfs.',
    }),
    static: StaticConditions,
    storage: Type.Object(
      {
        lowPercent: Type.Number({ minimum: 0, maximum: 100, default: 5 }),
        lowBytes: Type.Integer({ minimum: 0, default: 200 * 1024 * 1024 }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);
