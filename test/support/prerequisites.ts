// What a test needs from the machine (dbus-daemon, python3-dbusmock, socat, nginx, mosquitto, root, the
// built addon…). Outside CI a missing prerequisite skips the test and says why; under CI=true, where
// test/install-deps.sh and `npm test` provide them all, it fails the run instead of skipping quietly.
import { spawnSync } from 'node:child_process';

export const underCi = (env: Readonly<Record<string, string | undefined>> = process.env): boolean => env.CI === 'true';

/**
 * Takes why `what` cannot run (null: it can) and returns it for `describe.skipIf(reason !== null)`:
 * printed when skipping, thrown under CI=true.
 */
export function prerequisite(what: string, missing: string | null, env: Readonly<Record<string, string | undefined>> = process.env): string | null {
  if (missing === null) return null;
  if (underCi(env)) throw new Error(`CI=true: ${what} cannot run: ${missing} (CI installs it: test/install-deps.sh, npm test)`);
  console.warn(`skipping ${what}: ${missing}`);
  return missing;
}

/** Why `command` is unusable (not installed, or fails its version probe), or null. */
export function missingCommand(command: string, probeArgs: readonly string[] = ['--version']): string | null {
  const r = spawnSync(command, probeArgs, { stdio: 'ignore' });
  return r.status === 0 ? null : `${command} is not installed`;
}

/** null when running as root, else why that is needed. */
export function missingRoot(why: string): string | null {
  return process.getuid?.() === 0 ? null : `needs root (${why})`;
}
