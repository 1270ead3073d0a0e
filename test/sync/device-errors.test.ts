import { describe, expect, it } from 'vitest';
import { TransportError, type TransportErrorCode } from '../../drivers/transport.js';
import { ERROR_CODES, FerryError, exitCodeFor, httpStatusFor } from '../../src/errors.js';
import { deviceError } from '../../src/sync/device-errors.js';

describe('deviceError: the one mapping from driver errors to FerryError', () => {
  const cases: Array<[TransportErrorCode, string, number, number]> = [
    ['NOT_FOUND', 'DEVICE_NOT_FOUND', 404, 3],
    ['DISCONNECTED', 'DEVICE_DISCONNECTED', 503, 3],
    ['BUSY', 'DEVICE_BUSY', 409, 3],
    ['TIMEOUT', 'DEVICE_TIMEOUT', 504, 3],
    ['UNAVAILABLE', 'UNAVAILABLE', 503, 3],
    ['IO', 'DEVICE_IO_ERROR', 502, 3],
  ];
  it.each(cases)('maps %s to %s (HTTP %i, ferryctl exit %i) with the driver error as cause', (from, code, http, exit) => {
    const cause = new TransportError(from, 'the link went away');
    const e = deviceError(cause);
    expect(e).toBeInstanceOf(FerryError);
    expect(e).toMatchObject({ code, message: 'the link went away', cause });
    expect(Object.keys(ERROR_CODES)).toContain(e.code);
    expect([httpStatusFor(e.code), exitCodeFor(e.code)]).toEqual([http, exit]);
  });

  it('passes FerryErrors through and wraps anything else as INTERNAL', () => {
    const answered = new FerryError('DEVICE_ERROR', 'device answered with ENOENT');
    expect(deviceError(answered)).toBe(answered);
    expect(exitCodeFor(answered.code)).toBe(1);
    expect(deviceError(new Error('bug'))).toMatchObject({ code: 'INTERNAL', message: 'bug' });
  });
});
