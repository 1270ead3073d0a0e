// Locally attached devices to sync with (issue: connected devices). Extended by the sync module.
import { Type } from '@sinclair/typebox';

export const DevicesSection = Type.Array(Type.Object({}, { additionalProperties: true }), { default: [] });
