// Where conditions come from: fixed values from this file ("config") or the live readers ("live").
import { Type } from '@sinclair/typebox';
import { bytesField, percentField, secondsField } from './ranges.js';

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

const InterfacePin = Type.Object(
  {
    kind: Type.Optional(Type.Union(['ethernet', 'wifi', 'cellular'].map((k) => Type.Literal(k)))),
    metered: Type.Optional(Type.Boolean()),
    roaming: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const DataPlan = Type.Object(
  {
    monthlyBytes: bytesField({ description: 'Allowance per plan period, in bytes.' }),
    // Optional: TypeBox does not fill defaults inside records, so readers apply the 1.
    resetDay: Type.Optional(Type.Integer({ minimum: 1, maximum: 31, default: 1, description: 'Day of the month the allowance renews (31 = last day).' })),
  },
  { additionalProperties: false },
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
        lowPercent: percentField({ default: 5 }),
        lowBytes: bytesField({ default: 200 * 1024 * 1024 }),
        floorBytes: bytesField({
          default: 64 * 1024 * 1024,
          description:
            'Hard floor of free space on the state and transfers file systems: under it work waits (storage-floor), whatever a client asked (storageNotLow: false does not lift it).',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    sysfsRoot: Type.String({ minLength: 1, default: '/sys', description: 'Where sysfs is mounted (tests point this at a fixture tree).' }),
    pollIntervalS: secondsField({
      default: 5,
      description: 'How often sysfs (power supplies, links, byte counters) and free space are read. D-Bus changes arrive at once.',
    }),
    powerPreference: Type.Union([Type.Literal('upower'), Type.Literal('sysfs')], {
      default: 'upower',
      description: 'Which power reader wins when both answer; the other is the fallback.',
    }),
    pins: Type.Object(
      {
        interfaces: Type.Record(Type.String({ minLength: 1 }), InterfacePin, {
          default: {},
          description: 'Per interface name: values that override what the readers say (e.g. a phone tethered over USB is metered cellular).',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    dataPlan: Type.Object(
      {
        interfaces: Type.Record(Type.String({ minLength: 1 }), DataPlan, {
          default: {},
          description: 'Per interface name (e.g. wwan0): the monthly allowance.',
        }),
        approachingPercent: percentField({ default: 90, description: 'At or over this share of the allowance the plan is "approaching".' }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);
