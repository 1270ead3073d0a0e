// The transfer rules of POLICY.md §3, every number a default the operator can change.
import { Type } from '@sinclair/typebox';
import { bytesField, minutesField, secondsField } from './ranges.js';

const MiB = 1024 * 1024;
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
  },
  { additionalProperties: false, default: {} },
);
