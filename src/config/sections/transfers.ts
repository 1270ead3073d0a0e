// HTTP engine and queue settings (POLICY.md §3 numbers that belong to the engine, not to the rules).
import { Type } from '@sinclair/typebox';
import { attemptsField, bytesField, MAX_BYTES, msField, retryDelayField, secondsField } from './ranges.js';

export const TransfersSection = Type.Object(
  {
    maxRedirects: Type.Integer({ minimum: 0, maximum: 20, default: 5 }),
    allowPrivateRedirects: Type.Boolean({
      default: false,
      description: 'Follow redirects and tus Locations into loopback, link-local or private addresses (always allowed within the class the request started in).',
    }),
    noProgressTimeoutS: secondsField({ default: 120, description: 'Abort an attempt after this long without a byte.' }),
    connectTimeoutS: secondsField({ max: 3600, default: 30 }),
    caFile: Type.Union([Type.String({ minLength: 1 }), Type.Null()], { default: null, description: 'Extra CA bundle (PEM) trusted besides the system store.' }),
    checkpointBytes: Type.Integer({
      minimum: 4096,
      maximum: MAX_BYTES,
      default: 4 * 1024 * 1024,
      description: 'A durable progress checkpoint (part file fsynced, row and byte counts committed) once this many bytes moved since the last one (at least every 30 s while bytes move)…',
    }),
    checkpointMs: msField(50, { max: 3_600_000, default: 1000, description: '…and never closer together than this. A power cut re-fetches at most the larger of the two.' }),
    perClientLimit: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 25, description: 'Outstanding transfers per client, finished-but-not-removed included.' }),
    totalLimit: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 500, description: 'Outstanding transfers across the agent.' }),
    userAgent: Type.String({ maxLength: 256, pattern: '^[\\x20-\\x7e]*$', default: 'ferry/0.1' }),
    defaultRetry: Type.Object(
      {
        backoff: Type.Union([Type.Literal('exponential'), Type.Literal('linear')], { default: 'exponential' }),
        initialDelayS: retryDelayField({ default: 30 }),
        maxDelayS: retryDelayField({ default: 3600 }),
        maxAttempts: attemptsField({ default: 10 }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);
