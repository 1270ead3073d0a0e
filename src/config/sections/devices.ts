// Locally attached devices to sync with (POLICY.md §6): how to reach each one, which protocol it speaks
// (`smp` = MCUmgr, `lines` = line-oriented serial capture), what to pull and push, and when.
// Cross-field rules (a serial transport needs a path or a USB id…) are checked by src/sync/device-config.ts.
import { Type, type Static } from '@sinclair/typebox';
import { ConstraintsSchema, oneOf, PreferencesSchema } from './job-fields.js';
import { attemptsField, bytesField, MAX_BYTES, msField, retryDelayField, secondsField } from './ranges.js';
const HexId = Type.String({ pattern: '^[0-9a-fA-F]{4}$', description: 'USB id as 4 hex digits, e.g. "2fe3".' });

export const DeviceTransport = Type.Object(
  {
    kind: oneOf(['serial', 'udp', 'ble', 'usb']),
    path: Type.Optional(Type.String({ minLength: 1, description: 'serial: device node or stable link (/dev/serial/by-id/…).' })),
    vid: Type.Optional(HexId),
    pid: Type.Optional(HexId),
    serial: Type.Optional(Type.String({ minLength: 1, description: 'serial/usb: USB serial number to match.' })),
    usbClass: Type.Optional(oneOf(['vendor', 'cdc-acm'])),
    baud: Type.Integer({ minimum: 50, maximum: 20_000_000, default: 115200 }),
    rtscts: Type.Boolean({ default: false }),
    lineLength: Type.Integer({ minimum: 16, maximum: 65535, default: 127, description: 'serial SMP frame size incl. marker and newline (Zephyr: 127).' }),
    mtu: Type.Optional(Type.Integer({ minimum: 32, maximum: 65535, description: 'Largest SMP packet the device takes.' })),
    pacing: Type.Optional(
      Type.Object(
        {
          frameDelayMs: Type.Optional(Type.Number({ minimum: 0, maximum: 60_000 })),
          bytesPerSecond: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: MAX_BYTES })),
        },
        { additionalProperties: false },
      ),
    ),
    host: Type.Optional(Type.String({ minLength: 1, description: 'udp: device address.' })),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 1337 }),
    address: Type.Optional(Type.String({ minLength: 1, description: 'ble: device address.' })),
    name: Type.Optional(Type.String({ minLength: 1, description: 'ble: advertised local name.' })),
    presencePollMs: msField(100, { max: 3_600_000, default: 2000, description: 'serial: how often to look for the device node.' }),
  },
  { additionalProperties: false },
);

export const DeviceUpload = Type.Object(
  {
    url: Type.String({ minLength: 1, description: 'http(s) URL; "{id}" and "{name}" are replaced by the device id and file name.' }),
    method: oneOf(['PUT', 'POST'], { default: 'PUT' }),
    protocol: oneOf(['plain', 'tus'], { default: 'plain' }),
    headers: Type.Record(Type.String(), Type.String(), { default: {} }),
    preferences: PreferencesSchema({ default: 'allowBattery' }),
    constraints: Type.Optional(ConstraintsSchema),
  },
  { additionalProperties: false },
);

export const DevicePull = Type.Object(
  {
    remote: Type.String({ minLength: 1, description: 'File on the device, e.g. /lfs/log.bin.' }),
    local: Type.Optional(Type.String({ minLength: 1, description: 'Under the transfers root; default devices/<id>/<basename>.' })),
    hash: oneOf(['auto', 'sha256', 'crc32', 'none'], { default: 'auto', description: "Verify with the device's hash; auto: sha256, else crc32, else none." }),
    skipUnchanged: Type.Boolean({ default: true, description: "Skip the pull when the device's hash equals the local file's." }),
    upload: Type.Optional(DeviceUpload),
  },
  { additionalProperties: false },
);

export const DevicePush = Type.Object(
  {
    type: oneOf(['file', 'image'], { default: 'file' }),
    local: Type.String({ minLength: 1, description: 'File under the transfers root to send.' }),
    remote: Type.Optional(Type.String({ minLength: 1, description: 'file: destination on the device.' })),
    image: Type.Integer({ minimum: 0, maximum: 255, default: 0, description: 'image: image number on multi-image devices.' }),
    test: Type.Boolean({ default: true, description: 'image: mark the new image for a test boot.' }),
    reset: Type.Boolean({ default: true, description: 'image: reset the device after test.' }),
    confirm: Type.Boolean({ default: true, description: 'image: confirm the image once it runs.' }),
  },
  { additionalProperties: false },
);

export const DeviceLines = Type.Object(
  {
    maxLineLength: Type.Integer({ minimum: 16, maximum: 16 * 1024 * 1024, default: 4096 }),
    rotateBytes: bytesField({ minimum: 1, default: 1024 * 1024, description: 'Start a new spool file past this size…' }),
    rotateSeconds: Type.Integer({ minimum: 1, maximum: 24 * 86_400, default: 3600, description: '…or after this long, whichever comes first.' }),
    dir: Type.Optional(Type.String({ minLength: 1, description: 'Spool folder under the transfers root; default devices/<id>/spool.' })),
    upload: Type.Optional(DeviceUpload),
  },
  { additionalProperties: false, default: {} },
);

export const DeviceEntry = Type.Object(
  {
    id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' }),
    protocol: oneOf(['smp', 'lines'], { default: 'smp' }),
    transport: DeviceTransport,
    pull: Type.Array(DevicePull, { default: [] }),
    push: Type.Array(DevicePush, { default: [] }),
    when: Type.Object(
      {
        onConnect: Type.Boolean({ default: true }),
        // A Node interval holds at most 2^31-1 ms: 24 days.
        everyMinutes: Type.Union([Type.Integer({ minimum: 1, maximum: 24 * 24 * 60 }), Type.Null()], { default: null }),
        onDemand: Type.Boolean({ default: true }),
        window: Type.Union([Type.String({ minLength: 1 }), Type.Null()], {
          default: null,
          description: 'Triggered syncs (on connect, periodic) run only inside this window of policy.windows.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    budgetS: secondsField({ default: 180, description: 'Time budget of one sync session (attempt).' }),
    preferences: PreferencesSchema({ default: 'allowBattery', description: 'Power preferences of sync jobs (network rules do not apply).' }),
    retry: Type.Object(
      {
        initialDelayS: retryDelayField({ default: 2 }),
        maxDelayS: retryDelayField({ default: 120 }),
        maxAttempts: attemptsField({ default: 100 }),
      },
      { additionalProperties: false, default: {} },
    ),
    smp: Type.Object(
      {
        timeoutMs: msField(10, { max: 600_000, default: 5000 }),
        retries: Type.Integer({ minimum: 0, maximum: 100, default: 2 }),
      },
      { additionalProperties: false, default: {} },
    ),
    lines: DeviceLines,
  },
  { additionalProperties: false },
);

export const DevicesSection = Type.Array(DeviceEntry, { default: [] });

export type DeviceConfig = Static<typeof DeviceEntry>;
export type DeviceTransportConfig = Static<typeof DeviceTransport>;
export type DevicePullConfig = Static<typeof DevicePull>;
export type DevicePushConfig = Static<typeof DevicePush>;
export type DeviceUploadConfig = Static<typeof DeviceUpload>;
