// Shared by the fuzz tests: the seed (FUZZ_SEED replays a failure), the run count per target (FUZZ_SCALE
// multiplies them), the one line each target prints, and the property every target checks: what escapes
// is a FerryError or a TransportError with a code from the tables, never anything else.
import fc from 'fast-check';
import { TransportError } from '../../drivers/transport.js';
import { ERROR_CODES, FerryError } from '../../src/errors.js';

const TRANSPORT_CODES = new Set(['NOT_FOUND', 'BUSY', 'DISCONNECTED', 'TIMEOUT', 'UNAVAILABLE', 'IO']);

export const FUZZ_SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
const SCALE = process.env.FUZZ_SCALE ? Number(process.env.FUZZ_SCALE) : 1;

/** Runs for a target, scaled; prints the line that lets a failure replay. */
export function runsFor(target: string, runs: number): fc.Parameters<unknown> {
  const numRuns = Math.max(1, Math.round(runs * SCALE));
  console.log(`fuzz: ${target} ${numRuns} runs seed ${FUZZ_SEED}`);
  return { seed: FUZZ_SEED, numRuns, endOnFailure: true };
}

/** True for the errors ferry is allowed to let out: stable codes from the one table (or the transport's). */
export function isCleanRejection(e: unknown): boolean {
  if (e instanceof FerryError) return Object.hasOwn(ERROR_CODES, e.code);
  if (e instanceof TransportError) return TRANSPORT_CODES.has(e.code);
  return false;
}

/** Calls `f`; a throw that is not a clean rejection fails the property with what was thrown. */
export function expectClean<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (!isCleanRejection(e)) throw new Error(`unclean throw: ${(e as Error)?.stack ?? String(e)}`);
    return undefined;
  }
}

export async function expectCleanAsync<T>(f: () => Promise<T>): Promise<T | undefined> {
  try {
    return await f();
  } catch (e) {
    if (!isCleanRejection(e)) throw new Error(`unclean rejection: ${(e as Error)?.stack ?? String(e)}`);
    return undefined;
  }
}

/** Strings with the characters that break parsers: controls, lone surrogates, NUL, non-BMP. */
export const hostileString = (maxLength = 40): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ maxLength }),
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: fc.constantFrom('\u0000', '\r', '\n', '\t', '\ud800', '\udfff', '%', '/', '..', '\\', '\u007f', '\ufffd', ':'), maxLength }),
  );
