// Upper bounds for every number a client or the config can set. They keep times inside what a Date and a
// Node timer can hold (a setTimeout over 2^31-1 ms fires at once) and sizes inside exact integers, so no
// single value can make the agent throw later, when a job is settled or re-armed (issue 9: poison records).
import { Type } from '@sinclair/typebox';

/** Largest byte count: sums and offsets stay exact in a double. */
export const MAX_BYTES = Number.MAX_SAFE_INTEGER;
/** One year: the longest period or interval in minutes. */
export const MAX_MINUTES = 525_600;
/** One day: the longest single timeout or window, in seconds. */
export const MAX_TIMEOUT_S = 86_400;
/** A week: the longest retry delay; the scheduler's timer re-arms past 2^31-1 ms. */
export const MAX_RETRY_DELAY_S = 7 * 86_400;
export const MAX_ATTEMPTS = 1000;
/** 24 days in ms: below the 2^31-1 ms a Node timer can wait. */
export const MAX_TIMER_MS = 24 * 86_400_000;
/** Linux uids are 32-bit; 2^32-1 is (uid_t)-1, "no uid". */
export const MAX_UID = 2 ** 32 - 2;

type Opts = { default?: number; description?: string };

export const bytesField = (o: Opts & { minimum?: number } = {}) => Type.Integer({ minimum: 0, maximum: MAX_BYTES, ...o });
export const minutesField = (o: Opts = {}) => Type.Integer({ minimum: 1, maximum: MAX_MINUTES, ...o });
/** A positive duration in seconds (timeouts, windows, poll intervals). */
export const secondsField = (o: Opts & { max?: number } = {}) => {
  const { max, ...rest } = o;
  return Type.Number({ exclusiveMinimum: 0, maximum: max ?? MAX_TIMEOUT_S, ...rest });
};
export const msField = (min: number, o: Opts & { max?: number } = {}) => {
  const { max, ...rest } = o;
  return Type.Integer({ minimum: min, maximum: max ?? MAX_TIMER_MS, ...rest });
};
export const retryDelayField = (o: Opts = {}) => Type.Number({ minimum: 0, maximum: MAX_RETRY_DELAY_S, ...o });
export const attemptsField = (o: Opts = {}) => Type.Integer({ minimum: 1, maximum: MAX_ATTEMPTS, ...o });
export const percentField = (o: Opts = {}) => Type.Number({ minimum: 0, maximum: 100, ...o });
