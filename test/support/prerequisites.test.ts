import { afterEach, describe, expect, it, vi } from 'vitest';
import { missingCommand, prerequisite } from './prerequisites.js';

describe('prerequisite', () => {
  afterEach(() => vi.restoreAllMocks());

  it('skips with the reason printed outside CI', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(prerequisite('bus tests', 'dbus-daemon is not installed', {})).toBe('dbus-daemon is not installed');
    expect(warn).toHaveBeenCalledWith('skipping bus tests: dbus-daemon is not installed');
  });

  it('fails the run under CI=true instead of skipping', () => {
    expect(() => prerequisite('bus tests', 'dbus-daemon is not installed', { CI: 'true' })).toThrow(/CI=true: bus tests cannot run: dbus-daemon is not installed/);
  });

  it('lets the test run when nothing is missing, also under CI', () => {
    expect(prerequisite('bus tests', null, { CI: 'true' })).toBeNull();
  });

  it('names a command that is not installed', () => {
    expect(missingCommand('ferry-no-such-command-x')).toBe('ferry-no-such-command-x is not installed');
    expect(missingCommand(process.execPath)).toBeNull();
  });
});
