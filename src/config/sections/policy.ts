// The transfer rules of POLICY.md §3, every number a default the operator can change.
import { Type } from '@sinclair/typebox';
import { bytesField, minutesField, secondsField } from './ranges.js';

const MiB = 1024 * 1024;
const NAME = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const NETWORK_KINDS = ['cellular', 'wifi', 'ethernet'];
const kindOf = (kinds: string[], opts: object = {}) => Type.Union(kinds.map((k) => Type.Literal(k)), opts);

// Windows and bandwidth limits (cost controls); cross-field checks (names exist) are in policy/cost-config.ts.
const WindowSpan = Type.Object(
  {
    days: Type.Array(kindOf(DAY_NAMES), { minItems: 1, description: 'Days the span starts on.' }),
    start: Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'Local wall-clock start, HH:MM.' }),
    end: Type.String({
      pattern: '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$',
      description: 'Local wall-clock end, HH:MM; not after the start: ends the next day (equal: 24 h).',
    }),
  },
  { additionalProperties: false },
);

const BandwidthEntry = Type.Object(
  {
    network: kindOf(NETWORK_KINDS, { description: 'Network kind the limit applies on.' }),
    bytesPerSecond: Type.Integer({ minimum: 1024, maximum: 2 ** 40, description: 'Shared by every running non-exempt transfer (uploads and downloads together).' }),
    window: Type.Union([Type.String({ pattern: NAME }), Type.Null()], {
      default: null,
      description: 'Only while this window is open (an open window\'s entry wins over one without).',
    }),
    exempt: Type.Array(kindOf(['userInitiated', 'expedited']), { default: ['userInitiated'], description: 'Transfers with these flags are not limited.' }),
  },
  { additionalProperties: false },
);

const bytes = (def: number, description: string) => bytesField({ default: def, description });

export const PolicySection = Type.Object(
  {
    concurrency: Type.Integer({ minimum: 1, maximum: 64, default: 2, description: 'Transfers running at once across the agent.' }),
    uploadCaps: Type.Object(
      {
        cellularBytes: bytes(5 * MiB, 'Largest upload over cellular.'),
        batteryBytes: bytes(20 * MiB, 'Largest upload on battery (on cellular the smaller of this and the cellular cap holds).'),
        externalPowerBytes: bytes(100 * MiB, 'Largest upload under any conditions: a larger one is rejected at enqueue (or fails once its size is known).'),
      },
      { additionalProperties: false, default: {} },
    ),
    downloadCaps: Type.Object(
      {
        cellularBytes: bytes(20 * MiB, 'Largest download over cellular; larger ones wait for Wi-Fi.'),
        wifiBatteryBytes: bytes(
          100 * MiB,
          'Largest download without external power. A larger one needs preferences "none" (or "allowCellular"); with a preference that allows battery it fails.',
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    unknownSize: Type.Union([Type.Literal('needs-none-conditions'), Type.Literal('allow')], {
      default: 'needs-none-conditions',
      description: 'A download of unknown size runs only on Wi-Fi/Ethernet with external power, or always ("allow").',
    }),
    slow2gUserInitiatedOnly: Type.Boolean({ default: true, description: 'On 2G only user-initiated transfers run.' }),
    roamingAllowUserInitiated: Type.Boolean({ default: false, description: 'While roaming, let user-initiated transfers run.' }),
    batteryLowPercent: Type.Integer({ minimum: 0, maximum: 100, default: 15, description: 'At or under this, batteryNotLow holds transfers.' }),
    slowTransfer: Type.Object(
      {
        cellularBitsPerS: bytesField({ default: 50_000 }),
        otherBitsPerS: bytesField({ default: 100_000 }),
        windowS: secondsField({ default: 60, description: 'A rate under the floor must last this long before the transfer pauses.' }),
      },
      { additionalProperties: false, default: {} },
    ),
    executionWindowS: secondsField({ default: 600, description: 'Time slice of a background transfer before others get a turn.' }),
    periodicMinMinutes: minutesField({ default: 15 }),
    windows: Type.Record(Type.String({ pattern: NAME }), Type.Array(WindowSpan, { minItems: 1 }), {
      default: {},
      description: 'Named weekly windows in local time; requests, devices and bandwidth limits refer to them by name.',
    }),
    networkWindows: Type.Object(
      Object.fromEntries(NETWORK_KINDS.map((k) => [k, Type.Optional(Type.String({ pattern: NAME }))])),
      { additionalProperties: false, default: {}, description: 'Per network kind: background work on it runs only inside this window.' },
    ),
    bandwidth: Type.Array(BandwidthEntry, { default: [], description: 'Bandwidth limits for background work, per network kind and window.' }),
    timeZone: Type.Union([Type.String({ minLength: 1 }), Type.Null()], {
      default: null,
      description: 'IANA zone windows and usage days are read in; null: the system zone.',
    }),
  },
  { additionalProperties: false, default: {} },
);
